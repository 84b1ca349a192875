#!/usr/bin/env bash
# Fails when an #include goes against the dependency direction (STYLE.md habit 17,
# ARCHITECTURE.md, docs/internals/decisions/0007-checked-layering.md):
#
#   runtime -> node -> proto/<concern> -> wire -> core        transport -> core
#
#   src/core             core
#   src/wire             wire, core
#   src/proto/<x>        proto/<x> (its own concern only, plus the concerns PROTO_DEPENDS lists
#                        for it: proto/registry stamps its dots with proto/hlc), wire, core
#   src/transport        transport, core
#   src/node             node, proto/*, wire, core
#   src/runtime          anything under src/
#   sim/                 sim, node, proto/*, wire, core (never runtime or transport)
#   fuzz/                fuzz, node, proto/*, transport, wire, core (the fuzz build has no runtime),
#                        examples/ (the example relay's framing decoder is fuzzed too)
#   tests/, bench/       anything under src/ (white-box), their own files; tests/ also
#                        examples/ (the example relay is a test fixture, "relay/....hpp")
#   tools/, examples/    the public headers and their own files only
#   include/barrel_p2p   other public headers and the C++ standard library only
#
# Public headers are every layer's vocabulary, in three tiers: barrel_p2p/result.hpp (Result,
# Error) for all; result, pid, envelope, events and membership (value types) for src/node and
# sim/; all of include/barrel_p2p for runtime, tools, examples, tests, bench and fuzz.
# Third-party headers belong to one layer: ngtcp2/gnutls to transport, sodium to proto/auth,
# spdlog to runtime and tools, CLI11, toml++, cpp-httplib and nlohmann-json to tools,
# gtest/rapidcheck to test files (runtime and tests may use any of them).
# Includes are resolved to files ("x.hpp" beside the includer first, then src/, include/ and
# the folder's own root), spelled relative to src/ or include/; "../" and "src/..." are refused.
#
# Usage: scripts/check-layers.sh [--all] [repository root]
#   Prints file:line: the include and the rule it breaks; exits 1 on any violation.
#   scripts/layers-allow.txt lists known violations, each with its reason; they are not
#   reported, and an entry that no longer matches fails the check (the list only shrinks).
#   --all reports allow-listed violations too (exit status unchanged).
set -euo pipefail

show_all=0
if [[ "${1:-}" == "--all" ]]; then
  show_all=1
  shift
fi
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"

exec python3 - "$show_all" <<'PYTHON'
import os
import re
import signal
import sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head

SHOW_ALL = sys.argv[1] == "1"
ALLOW_FILE = "scripts/layers-allow.txt"
FOLDERS = ["src", "include", "tools", "examples", "sim", "tests", "bench", "fuzz"]
SUFFIXES = (".cpp", ".hpp", ".h", ".cc", ".ipp")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

PUBLIC_BASE = {"result.hpp"}
PUBLIC_VALUES = PUBLIC_BASE | {"pid.hpp", "envelope.hpp", "events.hpp", "membership.hpp",
                               "services.hpp", "histogram.hpp"}
SRC_LAYERS = ("core", "wire", "proto", "transport", "node", "runtime")

# The C++ standard library (C++20) and its C compatibility headers: all a public header may use.
STD_HEADERS = set("""
algorithm any array atomic barrier bit bitset charconv chrono codecvt compare complex concepts
condition_variable coroutine deque exception execution filesystem format forward_list fstream
functional future initializer_list iomanip ios iosfwd iostream istream iterator latch limits
list locale map memory memory_resource mutex new numbers numeric optional ostream queue random
ranges ratio regex scoped_allocator semaphore set shared_mutex source_location span sstream
stack stdexcept stop_token streambuf string string_view syncstream system_error thread tuple
type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector
version cassert cctype cerrno cfenv cfloat cinttypes climits clocale cmath csetjmp csignal
cstdarg cstddef cstdint cstdio cstdlib cstring ctime cuchar cwchar cwctype
""".split())


def layer_of(path):
    """('core'|'wire'|'proto/<x>'|..., name) for a repository-relative file path."""
    parts = path.split("/")
    if parts[0] == "include":
        return "public", "/".join(parts[2:]) if parts[1:2] == ["barrel_p2p"] else path
    if parts[0] == "src" and len(parts) > 2:
        if parts[1] == "proto" and len(parts) > 3:
            return "proto/" + parts[2], "/".join(parts[3:])
        return parts[1], "/".join(parts[2:])
    return parts[0], "/".join(parts[1:])


def is_test_file(path):
    name = os.path.basename(path)
    return path.startswith("tests/") or "_test" in name or name.startswith("test_")


# The few proto concerns a core may build on, one way only (no cycles): the hybrid logical clock
# is shared vocabulary of the cores that stamp events (decision 0009).
PROTO_DEPENDS = {"proto/registry": ("proto/hlc",)}


def allowed_layers(origin):
    """(description, predicate(layer, name)) of what files of `origin` may include."""
    def any_src(layer):
        return layer.split("/")[0] in SRC_LAYERS

    def lower(*layers):
        return lambda layer: layer in layers or (layer.startswith("proto/") and "proto" in layers)

    table = {
        "core": ("core, barrel_p2p/result.hpp", lower("core"), PUBLIC_BASE),
        "wire": ("wire, core, barrel_p2p/result.hpp", lower("wire", "core"), PUBLIC_BASE),
        "transport": ("transport, core, barrel_p2p/result.hpp", lower("transport", "core"),
                      PUBLIC_BASE),
        "node": ("node, proto/*, wire, core, public value headers",
                 lower("node", "proto", "wire", "core"), PUBLIC_VALUES),
        "runtime": ("anything under src/ and include/", any_src, None),
        "sim": ("sim, node, proto/*, wire, core, public value headers",
                lower("sim", "node", "proto", "wire", "core"), PUBLIC_VALUES),
        "fuzz": ("fuzz, node, proto/*, transport, wire, core, examples, public headers",
                 lower("fuzz", "node", "proto", "transport", "wire", "core", "examples"), None),
        "tests": ("anything under src/, tests/, examples/ and include/",
                  lambda layer: any_src(layer) or layer in ("tests", "examples"), None),
        "bench": ("anything under src/, bench/ and include/",
                  lambda layer: any_src(layer) or layer == "bench", None),
        "tools": ("tools/ and include/barrel_p2p only", lower("tools"), None),
        "examples": ("examples/ and include/barrel_p2p only", lower("examples"), None),
        "public": ("other public headers and the standard library only", lower(), None),
    }
    if origin.startswith("proto/"):
        extra = PROTO_DEPENDS.get(origin, ())
        others = "".join(f", {layer}" for layer in extra)
        return (f"{origin} (not other proto/ concerns){others}, wire, core, "
                "barrel_p2p/result.hpp", lower(origin, *extra, "wire", "core"), PUBLIC_BASE)
    return table[origin]


# Third-party header prefix -> layers that may include it (runtime and tests may use any).
LIBRARIES = [
    (("ngtcp2/", "gnutls/"), {"transport", "fuzz"}, "transport"),
    (("sodium.h", "sodium/"), {"proto/auth"}, "proto/auth"),
    (("spdlog/", "fmt/"), {"tools", "bench"}, "runtime and tools"),
    (("CLI/", "toml++/", "httplib.h", "nlohmann/"), {"tools"}, "tools"),
]
TEST_LIBRARIES = ("gtest/", "gmock/", "rapidcheck")


# Public headers generated at configure time from a template (cmake/version.cmake): they sit
# in the build tree, not in include/, but are public headers like the others.
GENERATED_PUBLIC = {"barrel_p2p/version.hpp": "cmake/version.hpp.in"}


def resolve(includer, spelled, quoted):
    """Repository-relative path the include names, or None for a system header."""
    if spelled in GENERATED_PUBLIC and os.path.isfile(GENERATED_PUBLIC[spelled]):
        return "include/" + spelled
    origin_root = includer.split("/")[0]
    roots = ["src", "include"]
    if origin_root in ("sim", "tools", "tests"):
        roots.append(origin_root if origin_root != "sim" else ".")
    if origin_root in ("tests", "fuzz"):
        roots.append("examples")
    if quoted:
        roots.insert(0, os.path.dirname(includer))
    for base in roots:
        candidate = os.path.normpath(os.path.join(base, spelled))
        if os.path.isfile(candidate):
            return candidate
    return None


def check_library(path, origin, spelled):
    if origin in ("runtime", "tests"):
        return None
    if origin == "public":
        if spelled not in STD_HEADERS:
            return "public headers include only the C++ standard library"
        return None
    if spelled.startswith(TEST_LIBRARIES) and not is_test_file(path):
        return "test libraries (gtest, rapidcheck) only in *_test files and tests/"
    for prefixes, layers, owner in LIBRARIES:
        if spelled.startswith(prefixes) and origin not in layers:
            return f"<{spelled.split('/')[0]}> belongs to {owner}"
    return None


def check_line(path, origin, bracket, spelled):
    quoted = bracket == '"'
    if spelled.startswith(("../", "src/", "include/")) or "/../" in spelled:
        return "spell project includes relative to src/ or include/ (no ../, src/, include/)"
    target = resolve(path, spelled, quoted)
    if target is None:
        if quoted:
            return "does not resolve to a project file (use <> for system headers)"
        return check_library(path, origin, spelled)
    layer, name = layer_of(target)
    description, may_include, public_names = allowed_layers(origin)
    if layer == "public":
        if public_names is None or name in public_names:
            return None
        return f"{origin} may include {description}; not barrel_p2p/{name}"
    if may_include(layer):
        return None
    return f"{origin} may include {description}; not {layer}/"


def source_files():
    for folder in FOLDERS:
        for directory, subdirs, names in os.walk(folder):
            subdirs.sort()
            if directory.startswith("fuzz/corpus"):
                continue
            for name in sorted(names):
                if name.endswith(SUFFIXES):
                    yield os.path.join(directory, name)


def read_allow_list():
    entries = {}
    if not os.path.isfile(ALLOW_FILE):
        return entries, []
    problems = []
    with open(ALLOW_FILE, encoding="utf-8") as allow:
        for number, line in enumerate(allow, 1):
            text, _, reason = line.partition("#")
            fields = text.split()
            if not fields:
                continue
            if len(fields) != 2 or not reason.strip():
                problems.append(f"{ALLOW_FILE}:{number}: expected '<file> <include>  # reason'")
                continue
            entries[(fields[0], fields[1])] = number
    return entries, problems


def main():
    allow, problems = read_allow_list()
    used = set()
    violations = 0
    files = 0
    for path in source_files():
        files += 1
        origin, _ = layer_of(path)
        with open(path, encoding="utf-8", errors="replace") as source:
            for number, line in enumerate(source, 1):
                match = INCLUDE_RE.match(line)
                if not match:
                    continue
                rule = check_line(path, origin, match.group(1), match.group(2))
                if rule is None:
                    continue
                key = (path, match.group(2))
                if key in allow:
                    used.add(key)
                    if SHOW_ALL:
                        print(f"{path}:{number}: {line.strip()}  [allowed] {rule}")
                    continue
                print(f"{path}:{number}: {line.strip()}  -- {rule}")
                violations += 1
    for key, number in sorted(allow.items(), key=lambda item: item[1]):
        if key not in used:
            problems.append(f"{ALLOW_FILE}:{number}: stale entry {key[0]} {key[1]}: "
                            "it breaks no rule now, delete the line")
    for problem in problems:
        print(problem)
    if violations or problems:
        print(f"check-layers: {violations} violation(s), {len(problems)} allow-list problem(s)"
              " (rules: scripts/check-layers.sh header)", file=sys.stderr)
        return 1
    print(f"check-layers: {files} files follow the layer rules"
          f" ({len(used)} allow-listed in {ALLOW_FILE})")
    return 0


sys.exit(main())
PYTHON
