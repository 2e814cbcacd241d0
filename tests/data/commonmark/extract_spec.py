"""Rebuild spec.json from the commonmark-spec npm package's spec.txt.

The package ships spec.txt (and a JavaScript extractor), not spec.json. This script
reads the examples the way the spec's own test/spec_tests.py (`--dump-tests`) does, so
spec.json has that script's format and its tabs: spec.txt writes a tab as `→`.

    cd /tmp && npm pack commonmark-spec@0.31.2 && tar xzf commonmark-spec-0.31.2.tgz
    python tests/data/commonmark/extract_spec.py /tmp/package/spec.txt
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

FENCE = "`" * 32
HEADING_RE = re.compile(r"#+ ")
SPEC_JSON = Path(__file__).with_name("spec.json")


def extract(spec: str) -> list[dict[str, object]]:
    """Every example of spec.txt, numbered from 1, with the section it is in."""
    examples: list[dict[str, object]] = []
    markdown: list[str] = []
    html: list[str] = []
    state, section, start_line = "text", "", 0
    for number, line in enumerate(spec.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped.startswith(FENCE + " example"):
            state, start_line, markdown, html = "markdown", number, [], []
        elif stripped == FENCE and state != "text":
            state = "text"
            examples.append(
                {
                    "markdown": "".join(markdown).replace("→", "\t"),
                    "html": "".join(html).replace("→", "\t"),
                    "example": len(examples) + 1,
                    "start_line": start_line,
                    "end_line": number,
                    "section": section,
                }
            )
        elif stripped == "." and state == "markdown":
            state = "html"
        elif state == "markdown":
            markdown.append(line)
        elif state == "html":
            html.append(line)
        elif HEADING_RE.match(line):
            section = HEADING_RE.sub("", stripped, count=1).strip()
    return examples


def main(spec_txt: str) -> None:
    examples = extract(Path(spec_txt).read_text(encoding="utf-8"))
    SPEC_JSON.write_text(json.dumps(examples, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"{len(examples)} examples → {SPEC_JSON}")


if __name__ == "__main__":
    main(sys.argv[1])
