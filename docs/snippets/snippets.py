#!/usr/bin/env python3
"""Keeps the C# blocks of docs/*.md identical to regions of the files in docs/snippets.

In the markdown, a C# block is preceded by a marker naming its source:

    <!-- snippet: GettingStarted.cs#register -->
    ```csharp
    ...
    ```

and the file has `#region register` ... `#endregion` around the code. A marker without a region
names a whole file by its path relative to docs/, e.g. a complete program that CI builds on its own
(.ci/pack-and-consume.sh builds docs/first-program/Program.cs against the packed package):

    <!-- snippet: first-program/Program.cs -->

The build compiles the files; this script makes sure the docs show exactly what was compiled.

    python3 docs/snippets/snippets.py          # rewrite the blocks from the regions
    python3 docs/snippets/snippets.py --check  # exit 1 if a block differs, lacks a marker, or names a missing region or file
"""

import pathlib
import re
import sys

SNIPPETS = pathlib.Path(__file__).resolve().parent
DOCS = SNIPPETS.parent
# Written and checked by their own authors (they may hold samples kept elsewhere).
NOT_OURS = {"benchmarks.md", "reliability.md"}
MARKER = re.compile(r"^(?P<indent> *)<!-- snippet: (?:(?P<file>[\w.]+\.cs)#(?P<region>[\w-]+)|(?P<path>[\w.-]+(?:/[\w.-]+)*\.cs)) -->$")


def whole_file(path: str) -> str:
    """The file at docs/<path>, exactly as it is (without its last line break)."""
    file = (DOCS / path).resolve()
    if not file.is_relative_to(DOCS):
        raise LookupError(f"{path} is not inside docs/")
    return file.read_text(encoding="utf-8").rstrip("\n")


def region(file: str, name: str) -> str:
    lines = (SNIPPETS / file).read_text(encoding="utf-8").splitlines()
    for start, line in enumerate(lines):
        if line.strip() == f"#region {name}":
            break
    else:
        raise LookupError(f"{file} has no region '{name}'")

    body, depth = [], 0
    for line in lines[start + 1:]:
        stripped = line.strip()
        if stripped.startswith("#region"):
            depth += 1
        elif stripped == "#endregion":
            if depth == 0:
                break
            depth -= 1
        body.append(line)
    else:
        raise LookupError(f"{file}: region '{name}' has no #endregion")

    indents = [len(l) - len(l.lstrip(" ")) for l in body if l.strip()]
    cut = min(indents, default=0)
    return "\n".join(l[cut:] if l.strip() else "" for l in body)


def process(path: pathlib.Path, check: bool) -> list[str]:
    problems = []
    lines = path.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        match = MARKER.match(line)
        if line.lstrip().startswith("```cs"):
            problems.append(f"{path.name}:{i + 1}: a C# block without a '<!-- snippet: File.cs#region -->' (or '<!-- snippet: folder/File.cs -->') marker")
        if not match:
            out.append(line)
            i += 1
            continue

        out.append(line)
        indent = match["indent"]
        if i + 1 >= len(lines) or lines[i + 1] != indent + "```csharp":
            problems.append(f"{path.name}:{i + 1}: the marker is not followed by a ```csharp block")
            i += 1
            continue

        end = i + 2
        while end < len(lines) and lines[end] != indent + "```":
            end += 1
        current = "\n".join(lines[i + 2:end])
        source = match["path"] or f"{match['file']}#{match['region']}"
        try:
            text = whole_file(match["path"]) if match["path"] else region(match["file"], match["region"])
            code = "\n".join(indent + l if l else "" for l in text.split("\n"))
        except (LookupError, OSError) as error:
            problems.append(f"{path.name}:{i + 1}: {error}")
            code = current

        if check and code != current:
            problems.append(f"{path.name}:{i + 1}: the block differs from {source}")
        out.extend([indent + "```csharp", *code.split("\n"), indent + "```"])
        i = end + 1

    text = "\n".join(out) + "\n"
    if not check and text != path.read_text(encoding="utf-8"):
        path.write_text(text, encoding="utf-8")
    return problems


def main() -> int:
    check = "--check" in sys.argv[1:]
    problems = [p for md in sorted(DOCS.glob("*.md")) if md.name not in NOT_OURS for p in process(md, check)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
