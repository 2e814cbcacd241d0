"""Fixture files in the mdit-py-plugins style: title, `.`, input, `.`, expected, `.`.

A failure names the fixture's line, and `pytest --update-goldens` rewrites the
expected parts from the current output (review the diff before committing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Case:
    title: str
    line: int
    input: str
    expected: str


def read_cases(path: Path) -> list[Case]:
    lines = path.read_text(encoding="utf-8").split("\n")
    cases, index = [], 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        title, start = lines[index], index + 1
        parts: list[list[str]] = []
        index += 2  # the title and the `.` after it
        for _ in range(2):
            part: list[str] = []
            while lines[index] != ".":
                part.append(lines[index])
                index += 1
            parts.append(part)
            index += 1
        cases.append(Case(title, start, "\n".join(parts[0]), "\n".join(parts[1])))
    return cases


def write_cases(path: Path, cases: list[Case]) -> None:
    blocks = [f"{c.title}\n.\n{c.input}\n.\n{c.expected}\n.\n" for c in cases]
    path.write_text("\n".join(blocks), encoding="utf-8")


def check_case(case: Case, actual: str, path: Path, cases: list[Case], update: bool) -> None:
    """Compare with the expected part, or (with --update-goldens) rewrite the file."""
    if update:
        case.expected = actual
        write_cases(path, cases)
        return
    assert actual == case.expected, f"{path.name}:{case.line}: {case.title}"
