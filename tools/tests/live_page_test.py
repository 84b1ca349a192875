#!/usr/bin/env python3
"""The admin endpoint's live cluster page (GET /) driven in headless Chromium against a real
8-node cluster of `barrel-p2p node` processes on loopback.

The page must show the overlay as its node and that node's active peers see it: the test
computes what that is from every node's own GET /v1/members (each node's active view) and
waits until the page's numbers (attributes of #overview, and the drawn circles and lines)
agree and cover all 8 nodes. Then it kills one of the node's active peers (SIGKILL) and
waits until the page, without a reload, shows 7 nodes, the agreeing link count and the
neighbor_down event. Every wait is bounded; no timing is asserted.

Chromium is driven through its DevTools protocol over a pipe (--remote-debugging-pipe):
no extra package. Exits 77 (skipped) when no chromium is installed.

Usage: live_page_test.py PATH/TO/barrel-p2p [--screenshot PATH.png]
"""
import base64
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from admin_api_test import Cluster, get_json, wait_for  # noqa: E402

NODES = 8
SKIP = 77


class Browser:
    """Headless Chromium driven over the DevTools protocol on fds 3 (in) and 4 (out)."""

    def __init__(self, exe, profile):
        to_chrome, from_us = os.pipe()
        to_us, from_chrome = os.pipe()

        def wire_fds():
            a, b = os.dup(to_chrome), os.dup(from_chrome)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log = open(os.path.join(profile, "chromium.log"), "w")
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=wire_fds, pass_fds=(3, 4))
        os.close(to_chrome)
        os.close(from_chrome)
        self.out, self.inp, self.buffer, self.next_id = from_us, to_us, b"", 1
        self.session = None

    def call(self, method, params=None, timeout=30):
        message_id, self.next_id = self.next_id, self.next_id + 1
        message = {"id": message_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == message_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"chromium did not answer {method}")
            if select.select([self.inp], [], [], left)[0]:
                chunk = os.read(self.inp, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed its pipe")
                self.buffer += chunk

    def open(self, url):
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1000, "height": 1500, "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def screenshot(self, path):
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as out:
            out.write(base64.b64decode(shot["data"]))

    def close(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.log.close()


READ_PAGE = """(() => {
  const o = document.getElementById('overview');
  if (!o) return null;
  const events = [...document.querySelectorAll('#events li')]
      .map((li) => li.dataset.type + ' ' + li.dataset.node);
  return {nodes: Number(o.dataset.nodes), active: Number(o.dataset.activeLinks),
          status: o.dataset.status, updates: Number(o.dataset.updates),
          circles: document.querySelectorAll('#graph circle').length,
          lines: document.querySelectorAll('#graph line.active').length,
          rows: document.querySelectorAll('#nodes tbody tr').length, events};
})()"""


def expected(admins, observer):
    """(nodes, active links) the observer's page should show: the observer, its active peers
    and theirs, and every active link one of those reports, from each node's own views."""
    views = {}
    for name, address in admins.items():
        members = get_json(address, "/v1/members?cluster=0")
        views[name] = [peer["name"] for peer in members["active"]]
    reporters = {observer} | set(views[observer])
    links = {tuple(sorted((r, p))) for r in reporters if r in views for p in views[r]}
    nodes = reporters | {p for r in reporters if r in views for p in views[r]}
    return len(nodes), len(links)


def wait_for_page(browser, admins, observer, nodes, what, extra=lambda page: True):
    """Polls (at most 120 times, 0.5 s apart) until the page agrees with expected()."""
    page, want = None, None
    for _ in range(120):
        page = browser.evaluate(READ_PAGE)
        want = expected(admins, observer)
        if (page and page["status"] == "live" and want[0] == nodes and
                (page["nodes"], page["active"]) == want and page["circles"] == want[0] and
                page["rows"] == want[0] and page["lines"] == want[1] and extra(page)):
            return page
        time.sleep(0.5)
    raise AssertionError(f"page never showed {what}: page {page}, expected {want}")


def main():
    cli = os.path.abspath(sys.argv[1])
    screenshot = sys.argv[sys.argv.index("--screenshot") + 1] if "--screenshot" in sys.argv \
        else None
    chromium = shutil.which("chromium")
    if chromium is None:
        print("live page test skipped: no chromium installed (scripts/install-deps.sh adds it)")
        return SKIP
    cluster, profile, browser = Cluster(cli), tempfile.mkdtemp(), None
    try:
        admins = {"n0": cluster.start("n0")}
        contact = get_json(admins["n0"], "/v1/members?cluster=0")["node"]["address"]
        for i in range(1, NODES):
            admins[f"n{i}"] = cluster.start(f"n{i}", "--set", f"membership.contacts={contact}")
        host, port = admins["n0"]
        browser = Browser(chromium, profile)
        browser.open(f"http://{host}:{port}/")
        page = wait_for_page(browser, admins, "n0", NODES, f"{NODES} nodes")
        print(f"page shows {page['nodes']} nodes and {page['active']} active links")
        if screenshot:
            browser.screenshot(screenshot)

        active = [p["name"] for p in get_json(admins["n0"], "/v1/members?cluster=0")["active"]]
        victim = sorted(active)[0]
        cluster.procs[victim].send_signal(signal.SIGKILL)
        cluster.procs[victim].wait(timeout=10)
        del admins[victim]
        page = wait_for_page(browser, admins, "n0", NODES - 1, f"{victim} gone",
                             lambda page: f"neighbor_down {victim}" in page["events"])
        print(f"after killing {victim}: {page['nodes']} nodes, {page['active']} active links, "
              f"{len(page['events'])} events")
        del cluster.procs[victim]
        codes = cluster.stop()
        assert all(code == 0 for code in codes.values()), codes
        print("live page: ok")
        return 0
    except BaseException:
        if browser:
            print("page:", browser.evaluate(READ_PAGE))
        cluster.stop()
        for name in cluster.procs:
            print(f"--- {name}.log (tail)\n{cluster.log(name)[-2000:]}")
        raise
    finally:
        if browser:
            browser.close()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(cluster.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
