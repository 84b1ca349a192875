#!/usr/bin/env python3
"""System test of the HTTP admin endpoint with two `barrel-p2p node` processes on loopback.

Every resource is read over HTTP as curl or Prometheus would: status codes and JSON shapes;
GET /metrics is parsed by a strict parser of the Prometheus text exposition format (below),
and its counters must move when traffic flows; GET /v1/events streams the membership events
of a join. Every wait is bounded in count and time.

Usage: admin_api_test.py PATH/TO/barrel-p2p
"""
import http.client
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    pass


def parse_labels(text, line):
    """Parses `{a="x",b="y"}` at the start of `text`; returns (labels, rest)."""
    labels, i = {}, 1
    while True:
        if text[i] == "}":
            return labels, text[i + 1:]
        match = LABEL.match(text, i)
        if not match or text[match.end()] != "=" or text[match.end() + 1] != '"':
            raise ParseError(f"bad label in: {line}")
        name, i, value = match.group(0), match.end() + 2, ""
        while text[i] != '"':
            if text[i] == "\\":
                escaped = {"\\": "\\", '"': '"', "n": "\n"}.get(text[i + 1])
                if escaped is None:
                    raise ParseError(f"bad escape in: {line}")
                value, i = value + escaped, i + 2
            else:
                value, i = value + text[i], i + 1
        if name in labels:
            raise ParseError(f"label {name} twice in: {line}")
        labels[name] = value
        i += 1
        if text[i] == ",":
            i += 1


def parse_prometheus(text):
    """Parses the text exposition format 0.0.4 strictly. Returns
    {family: {"type": t, "help": h, "samples": {(name, frozenset(labels)): value}}}."""
    families, current, closed = {}, None, set()
    if not text.endswith("\n"):
        raise ParseError("the text must end with a newline")
    for line in text.split("\n")[:-1]:
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if parts[2] != current:
                    if parts[2] in closed:
                        raise ParseError(f"family {parts[2]} reopened: {line}")
                    if current is not None:
                        closed.add(current)
                family = families.setdefault(parts[2], {"samples": {}})
                key = parts[1].lower()
                if key in family:
                    raise ParseError(f"second {parts[1]} for {parts[2]}")
                if key == "type":
                    if family["samples"] or parts[3] not in TYPES:
                        raise ParseError(f"TYPE after samples or unknown: {line}")
                family[key] = parts[3] if len(parts) > 3 else ""
                current = parts[2]
            continue
        match = NAME.match(line)
        if not match:
            raise ParseError(f"bad sample: {line}")
        name, rest = match.group(0), line[match.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = parse_labels(rest, line)
        fields = rest.split()
        if not rest.startswith(" ") or len(fields) not in (1, 2):
            raise ParseError(f"bad value in: {line}")
        value = float(fields[0])
        family_name = name
        if current is not None and families[current].get("type") == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                if name == current + suffix:
                    family_name = current
            if name == current + "_bucket" and "le" not in labels:
                raise ParseError(f"bucket without le: {line}")
        if family_name != current:
            raise ParseError(f"sample {name} outside its family's block")
        key = (name, frozenset(labels.items()))
        if key in families[family_name]["samples"]:
            raise ParseError(f"duplicate sample: {line}")
        families[family_name]["samples"][key] = value
    for name, family in families.items():
        if family.get("type") == "histogram":
            check_histogram(name, family)
    return families


def check_histogram(name, family):
    """Buckets are cumulative, end at +Inf, and +Inf equals _count, per label set."""
    series = {}
    for (sample, labels), count in family["samples"].items():
        rest = frozenset((k, v) for k, v in labels if k != "le")
        entry = series.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if sample == name + "_bucket":
            entry["buckets"].append((float(dict(labels)["le"]), count))
        elif sample == name + "_sum":
            entry["sum"] = count
        else:
            entry["count"] = count
    if not series:
        raise ParseError(f"histogram {name} has no samples")
    for labels, entry in series.items():
        buckets = sorted(entry["buckets"])
        if not buckets or buckets[-1][0] != math.inf:
            raise ParseError(f"histogram {name}{dict(labels)} lacks the +Inf bucket")
        counts = [count for _, count in buckets]
        if counts != sorted(counts):
            raise ParseError(f"histogram {name}{dict(labels)} buckets are not cumulative")
        if entry["count"] != counts[-1] or entry["sum"] is None or entry["sum"] < 0:
            raise ParseError(f"histogram {name}{dict(labels)}: +Inf, _count or _sum wrong")


def value(families, name, sample=None, **labels):
    return families[name]["samples"].get((sample or name, frozenset(labels.items())), math.nan)


class Cluster:
    def __init__(self, cli):
        self.cli, self.dir, self.procs = cli, tempfile.mkdtemp(), {}

    def start(self, name, *extra):
        config = os.path.join(self.dir, name + ".toml")
        with open(config, "w") as out:
            out.write(f'[node]\nname = "{name}"\ndata_dir = "{self.dir}/{name}"\n')
        admin_file = os.path.join(self.dir, name + ".admin")
        log = open(os.path.join(self.dir, name + ".log"), "w")
        self.procs[name] = subprocess.Popen(
            [self.cli, "node", "--config", config, "--admin", "127.0.0.1:0", "--admin-file",
             admin_file, "--exit-with-parent", *extra], stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(admin_file), f"{name}'s admin file")
        with open(admin_file) as text:
            host, port = text.read().strip().rsplit(":", 1)
        return (host, int(port))

    def stop(self):
        codes = {}
        for name, proc in self.procs.items():
            proc.send_signal(signal.SIGTERM)
            try:
                codes[name] = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = "timeout"
        return codes

    def log(self, name):
        with open(os.path.join(self.dir, name + ".log")) as text:
            return text.read()


def wait_for(predicate, what, attempts=200, pause=0.05):
    """Polls `predicate` at most `attempts` times (10 s by default)."""
    for _ in range(attempts):
        if predicate():
            return
        time.sleep(pause)
    raise AssertionError(f"timed out waiting for {what}")


def request(address, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(*address, timeout=5)
    all_headers = dict(headers or {})
    if body is not None:
        all_headers.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    payload = response.read().decode()
    connection.close()
    return response.status, response.getheader("Content-Type", ""), payload


def get_json(address, path, status=200):
    got, content_type, body = request(address, "GET", path)
    assert got == status, f"GET {path}: {got} {body}"
    assert content_type == "application/json", f"GET {path}: {content_type}"
    return json.loads(body)


def check_metrics(address):
    status, content_type, text = request(address, "GET", "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), content_type
    families = parse_prometheus(text)
    for name, family in families.items():
        assert "type" in family and "help" in family, f"{name} lacks TYPE or HELP"
        if family["type"] == "counter":
            assert name.endswith("_total"), f"counter {name} does not end in _total"
        assert name.startswith("barrel_p2p_"), name
    return families


def check_events(address, since):
    """Reads GET /v1/events?since=N until a neighbor_up event arrives (bounded)."""
    connection = http.client.HTTPConnection(*address, timeout=5)
    connection.request("GET", f"/v1/events?since={since}")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"
    text = ""
    for _ in range(100):
        text += response.fp.readline().decode()
        if "event: neighbor_up\n" in text and text.endswith("\n\n"):
            break
    connection.close()
    data = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    events = [json.loads(item) for item in data]
    assert any(e["type"] == "neighbor_up" and e["node"] == "b" for e in events), text
    return events


def main():
    cli = os.path.abspath(sys.argv[1])
    cluster = Cluster(cli)
    try:
        a = cluster.start("a")
        a_udp = get_json(a, "/v1/members")["node"]["address"]
        b = cluster.start("b", "--set", f"membership.contacts={a_udp}", "--subscribe", "news")
        wait_for(lambda: get_json(a, "/v1/members")["active"], "b in a's active view")

        members = get_json(a, "/v1/members")
        assert members["active"][0]["name"] == "b" and members["connected"] == ["b"], members
        assert set(members) == {"node", "active", "passive", "connected", "cluster"}, members
        assert members["cluster"]["active_links"] == [["a", "b"]], members
        connections = get_json(a, "/v1/connections")
        peers = connections["peers"]
        assert [(p["name"], p["active"]) for p in peers] == [("b", True)], connections
        assert peers[0]["path"]["remote"] == get_json(b, "/v1/members")["node"]["address"], peers
        assert get_json(a, "/v1/connections/b?ping=1")["ping_us"] > 0
        assert get_json(a, "/v1/connections/nobody", 404)["error"]
        stats = get_json(a, "/v1/stats")
        assert stats["peers"] == 1 and stats["auth_succeeded"] >= 1, stats
        relay_fields = ["relay_datagrams_sent", "relay_datagrams_received", "relay_datagrams_dropped"]
        assert [stats[field] for field in relay_fields] == [0, 0, 0], stats  # no relayed link
        assert get_json(a, "/v1/health?ready")["joined"] is True
        assert get_json(a, "/v1/nope", 404)["error"] == "no resource GET /v1/nope"
        check_events(a, 0)

        before = check_metrics(a)
        assert value(before, "barrel_p2p_peers") == 1
        assert value(before, "barrel_p2p_membership_active_view_size") == 1
        assert value(before, "barrel_p2p_membership_events_total", type="neighbor_up") >= 1
        assert value(before, "barrel_p2p_auth_attempts_total", outcome="succeeded") >= 1
        assert value(before, "barrel_p2p_calls_total") == 0  # no process called anything
        for outcome in ("sent", "received", "dropped"):
            assert value(before, "barrel_p2p_relay_datagrams_total", outcome=outcome) == 0
        auth = "barrel_p2p_auth_duration_seconds"
        assert value(before, auth, auth + "_count", outcome="succeeded") >= 1
        assert value(before, auth, auth + "_bucket", outcome="succeeded", le="+Inf") >= 1
        assert value(before, auth, auth + "_count", outcome="failed") == 0
        turns = "barrel_p2p_loop_turn_seconds"
        assert value(before, turns, turns + "_count") > 0
        for i in range(5):
            status, _, body = request(a, "POST", "/v1/broadcast",
                                      json.dumps({"tag": "news", "payload": f"hello {i}"}))
            assert status == 202, body
        delivered = re.compile(r"broadcast news from a \(\d+ hops\): hello 4")
        wait_for(lambda: delivered.search(cluster.log("b")), "b logging the broadcasts")
        after = check_metrics(a)
        for name, labels in [("barrel_p2p_datagrams_received_total", {}),
                             ("barrel_p2p_link_messages_total", {"direction": "sent"}),
                             ("barrel_p2p_broadcast_frames_sent_total", {"type": "gossip"})]:
            assert value(after, name, **labels) > value(before, name, **labels), name
        assert value(after, "barrel_p2p_broadcasts_total") == 5
        assert value(after, turns, turns + "_count") > value(before, turns, turns + "_count")
        assert value(after, turns, turns + "_sum") > value(before, turns, turns + "_sum")

        status, _, body = request(a, "POST", "/v1/broadcast", "{", None)
        assert status == 400 and json.loads(body)["error"], body
        status, _, _ = request(a, "POST", "/v1/leave", "{}",
                               {"Content-Type": "text/plain"})
        assert status == 415
        status, _, _ = request(a, "GET", "/v1/members", None, {"Host": "evil.example"})
        assert status == 403
        status, _, body = request(b, "POST", "/v1/leave", "{}")
        assert status == 200, body
        wait_for(lambda: not get_json(a, "/v1/members")["active"], "b gone from a's view")
        codes = cluster.stop()
        assert codes == {"a": 0, "b": 0}, codes
        print("admin api: ok")
    except BaseException:
        cluster.stop()
        for name in cluster.procs:
            print(f"--- {name}.log\n{cluster.log(name)}")
        raise
    finally:
        shutil.rmtree(cluster.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
