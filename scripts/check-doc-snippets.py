#!/usr/bin/env python3
"""Checks that every C++ code block of the docs is code that compiles.

Each ```cpp block in docs/**/*.md must follow a marker line naming where its text lives:

    <!-- snippet: docs/snippets/processes.cpp#spawn -->
    ```cpp
    ...
    ```

The named region is the text between `// snippet-begin: spawn` and `// snippet-end: spawn`
in that file, less its common indentation; `#a,b` joins regions a and b with a blank line
(a declaration and the statements that use it, say); `#*` is the whole file (a systemd unit
under examples/, say: any fenced block with a marker is checked). The files under docs/snippets/ are
compiled against the public headers by the build (the doc_snippets target; ctest's
doc_snippets_build), so a block that equals its region compiles too.

Fails (exit 1) on a block without a marker, a marker naming a missing file or region, a block
whose text differs from its region (a diff is printed), and a region no doc uses.
--fix rewrites the blocks from the regions (the code is the truth), then checks again.

usage: check-doc-snippets.py [--fix] [ROOT]
"""
import difflib
import pathlib
import re
import sys

MARKER = re.compile(r"^<!--\s*snippet:\s*(\S+?)#(\S+)\s*-->\s*$")
BEGIN = re.compile(r"^\s*//\s*snippet-begin:\s*(\S+)\s*$")
END = re.compile(r"^\s*//\s*snippet-end:\s*(\S+)\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
CPP = ("cpp", "c++")
# A docs tree is small; anything larger is not a doc and is refused rather than read.
FILE_SIZE_MAX = 1 << 20


def read_text(path):
    if path.stat().st_size > FILE_SIZE_MAX:
        raise ValueError(f"{path}: larger than {FILE_SIZE_MAX} bytes")
    return path.read_text(encoding="utf-8")


def dedent(lines):
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] if line.strip() else "" for line in lines]


def regions_of(path, errors):
    """name -> list of lines, for every region of a snippet file."""
    regions, open_name, lines = {}, None, []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_name:
                errors.append(f"{path}:{number}: region '{begin[1]}' begins inside '{open_name}'")
            open_name, lines = begin[1], []
        elif end:
            if end[1] != open_name:
                errors.append(f"{path}:{number}: snippet-end '{end[1]}' without its begin")
            else:
                if open_name in regions:
                    errors.append(f"{path}:{number}: region '{open_name}' defined twice")
                regions[open_name] = dedent(lines)
            open_name = None
        elif open_name:
            lines.append(line)
    if open_name:
        errors.append(f"{path}: region '{open_name}' never ends")
    return regions


class Snippets:
    def __init__(self, root, errors):
        self.root, self.errors, self.files, self.used = root, errors, {}, set()

    def text(self, file, names, where):
        path = (self.root / file).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            self.errors.append(f"{where}: snippet file {file} not found in the repository")
            return None
        if path not in self.files:
            self.files[path] = regions_of(path, self.errors)
        if names == "*":
            return read_text(path).splitlines()
        out = []
        for name in names.split(","):
            if name not in self.files[path]:
                self.errors.append(f"{where}: {file} has no region '{name}'")
                return None
            self.used.add((path, name))
            if out:
                out.append("")
            out.extend(self.files[path][name])
        return out


def check_doc(doc, snippets, fix):
    lines = read_text(doc).splitlines()
    out, index, changed = [], 0, False
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        fence = FENCE.match(line)
        if not fence or not fence[1]:
            continue  # a closing fence, or a block without a language: not code to check
        where = f"{doc.relative_to(snippets.root)}:{index}"
        close = next((i for i in range(index, len(lines)) if lines[i].startswith("```")), None)
        if close is None:
            snippets.errors.append(f"{where}: code block never closed")
            break
        block = lines[index:close]
        previous = next((l for l in reversed(out[:-1]) if l.strip()), "")
        marker = MARKER.match(previous)
        expected = None
        if not marker and fence[1] not in CPP:
            pass  # only C++ blocks must come from compiled files; others may
        elif not marker:
            snippets.errors.append(
                f"{where}: ```cpp block without a '<!-- snippet: FILE#REGION -->' line before "
                "it (put the code in docs/snippets/, see scripts/check-doc-snippets.py)")
        else:
            expected = snippets.text(marker[1], marker[2], where)
        if expected is not None and expected != block:
            if fix:
                block, changed = expected, True
            else:
                diff = difflib.unified_diff(block, expected, "doc", marker[1], lineterm="")
                snippets.errors.append(f"{where}: differs from {marker[1]}#{marker[2]}:\n" +
                                       "\n".join(diff))
        out.extend(block)
        index = close
    if changed:
        doc.write_text("\n".join(out) + "\n", encoding="utf-8")
        print(f"check-doc-snippets: rewrote {doc.relative_to(snippets.root)}")


def main(argv):
    fix = "--fix" in argv
    rest = [a for a in argv if a != "--fix"]
    root = pathlib.Path(rest[0] if rest else pathlib.Path(__file__).resolve().parent.parent)
    errors = []
    snippets = Snippets(root, errors)
    docs = sorted((root / "docs").rglob("*.md"))
    for doc in docs:
        check_doc(doc, snippets, fix)
    for path in sorted((root / "docs" / "snippets").glob("*.cpp")):
        regions = snippets.files.get(path.resolve()) or regions_of(path.resolve(), errors)
        for name in regions:
            if (path.resolve(), name) not in snippets.used:
                errors.append(f"{path.relative_to(root)}: region '{name}' is used by no doc")
    if fix and errors:
        errors.clear()
        return main([a for a in argv if a != "--fix"])
    for error in errors:
        print(f"check-doc-snippets: {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"check-doc-snippets: {len(snippets.used)} regions in {len(docs)} docs match "
          "their compiled snippets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
