"""A lock file's text as plain values, each with the line it starts on.

The lock is committed with the notes, so it comes from other people: its size and its
nesting are bounded before YAML builds anything from it, and every entry keeps its line,
so that each problem reads `decks/python.lock:17: …`. Locks as `write_lock` writes them
(a YAML header, then one JSON object per line) are read line by line, ten times faster
than YAML; any other shape (a lock edited or merged by hand) is read as the YAML it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from .. import limits

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

VERSION_RE = re.compile(r"version: (0|[1-9][0-9]{0,8})")
NOTE_TYPE_RE = re.compile(r"  ([a-z]+): (\{.*\})")
NOTE_RE = re.compile(r"  - (\{.*\})")
ODD_BREAK_RE = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
REBUILD_HINT = (
    "; restore it from git, or delete it to start over "
    "(cards whose front was reworded since they were added would become new notes)"
)
SECTIONS = {"note_types:": dict, "note_types: {}": dict, "notes:": list, "notes: []": list}


class LockTextError(Exception):
    """Something wrong at a line of the lock (lock.py adds the path)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


@dataclass(frozen=True)
class At:
    """A value of the lock and the 1-based line it starts on."""

    value: Any
    line: int


# The lock's top-level keys. When `notes` is a list, its value is a list of `At`, one per
# entry; when `note_types` is a mapping, a dict of `At` by name. Other values are plain.
Top = dict[str, At]


def decode(data: bytes) -> str:
    """The lock's bytes as text; bytes past the size limit or not UTF-8 are refused."""
    if len(data) > limits.LOCK_MAX_BYTES:
        raise LockTextError(
            f"larger than {limits.LOCK_MAX_BYTES // 2**20} MB, the most a lock file may be "
            f"(this line passes the limit){REBUILD_HINT}",
            _line_at(data, limits.LOCK_MAX_BYTES),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = _line_at(data, error.start)
        raise LockTextError(f"not UTF-8 text ({error.reason}){REBUILD_HINT}", line) from error


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse(text: str) -> Top | None:
    """The top-level keys of the lock; None when the file is not a mapping of keys."""
    written = _as_written(text)
    return written if written is not None else _as_yaml(text)


def _as_written(text: str) -> Top | None:
    """A lock in the layout `write_lock` writes, line by line; None for any other shape."""
    top: Top = {}
    entries: dict[str, At] | list[At] | None = None  # the section indented lines go into
    for number, line in enumerate(text.split("\n"), start=1):
        if not line or line.startswith("#"):
            continue
        if (found := VERSION_RE.fullmatch(line)) and "version" not in top:
            top["version"], entries = At(int(found[1]), number), None
        elif line in SECTIONS and line.partition(":")[0] not in top:
            kind = SECTIONS[line]
            section: dict[str, At] | list[At] = kind()
            top[line.partition(":")[0]] = At(section, number)
            entries = section if line.endswith(":") else None
        elif isinstance(entries, dict) and (found := NOTE_TYPE_RE.fullmatch(line)):
            if found[1] in entries or (value := _json(found[2])) is None:
                return None
            entries[found[1]] = At(value, number)
        elif isinstance(entries, list) and (found := NOTE_RE.fullmatch(line)):
            if (value := _json(found[1])) is None:
                return None
            entries.append(At(value, number))
        else:
            return None
    return top


def _json(text: str) -> Any:
    """A JSON object of one line; None when it is not one (YAML then says what is wrong)."""
    try:
        # raw_decode, not json.loads: the text starts with `{` and ends with `}`, so there
        # is no space around it for loads to skip, and loads' wrapping costs a third.
        value, end = _DECODER.raw_decode(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deep for the parser
        return None
    return value if end == len(text) and isinstance(value, dict) else None


_DECODER = json.JSONDecoder()


def _as_yaml(text: str) -> Top | None:
    _check_line_breaks(text)
    _check_depth(text)
    loader = Loader(text)
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            return None
        return _top(loader, root)
    except yaml.YAMLError as error:
        raise _yaml_error(error, text) from error
    finally:
        loader.dispose()


def _check_line_breaks(text: str) -> None:
    """Lines are counted at `\n` (a `\r\n` is one): YAML also breaks lines at a lone `\r`,
    U+0085, U+2028 and U+2029, and would then name other lines than an editor shows."""
    found = ODD_BREAK_RE.search(text)
    if found:
        raise LockTextError(
            f"a line break other than \\n or \\r\\n (U+{ord(found.group()):04X}){REBUILD_HINT}",
            text.count("\n", 0, found.start()) + 1,
        )


def _check_depth(text: str) -> None:
    """Refuse deep nesting from the event stream, which PyYAML reads without recursion."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.LOCK_MAX_DEPTH:
                    raise LockTextError(
                        f"nested more than {limits.LOCK_MAX_DEPTH} deep: not a lock file"
                        + REBUILD_HINT,
                        _mark_line(event.start_mark),
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as error:
        raise _yaml_error(error, text) from error


def _top(loader: Any, root: yaml.MappingNode) -> Top:
    """Each top-level key's value; the entries of `notes` and `note_types` one by one, so
    each keeps its line."""
    top: Top = {}
    for key_node, value_node in root.value:
        key = _construct(loader, key_node)
        if not isinstance(key, str):
            continue  # not a key of ours, as any unknown key
        value: Any
        if key == "notes" and isinstance(value_node, yaml.SequenceNode):
            value = [At(_construct(loader, item), _line(item)) for item in value_node.value]
        elif key == "note_types" and isinstance(value_node, yaml.MappingNode):
            value = {
                _name(loader, name): At(_construct(loader, item), _line(name))
                for name, item in value_node.value
            }
        else:
            value = _construct(loader, value_node)
        top[key] = At(value, _line(key_node))
    return top


def _name(loader: Any, node: yaml.Node) -> str:
    name = _construct(loader, node)
    if not isinstance(name, str):
        raise LockTextError("a note type's name must be text", _line(node))
    return name


def _construct(loader: Any, node: yaml.Node) -> Any:
    try:
        return loader.construct_document(node)
    except (ValueError, OverflowError) as error:
        # PyYAML lets these through: a date like 2024-13-45, an integer too long to convert.
        raise LockTextError(f"invalid YAML: {error}{REBUILD_HINT}", _line(node)) from error


def _line(node: yaml.Node) -> int:
    return _mark_line(node.start_mark)


def _mark_line(mark: Any) -> int:
    return int(mark.line) + 1 if mark is not None else 1


def _yaml_error(error: yaml.YAMLError, text: str) -> LockTextError:
    """YAML's complaint on one line (its own spans several, with a copy of the text)."""
    if isinstance(error, yaml.reader.ReaderError):
        problem = f"unacceptable character #x{error.character:04x}: {error.reason}"
    elif isinstance(error, yaml.MarkedYAMLError):
        problem = "; ".join(part for part in (error.context, error.problem) if part)
    else:
        problem = str(error)
    return LockTextError(f"invalid YAML: {problem}{REBUILD_HINT}", _yaml_line(error, text))


def _yaml_line(error: yaml.YAMLError, text: str) -> int:
    """The line YAML names. A note line cut short (a flow mapping or a quoted text left
    open) is noticed on the next line, so then the line where it opened counts."""
    context = str(getattr(error, "context", None) or "")
    opened = (
        getattr(error, "context_mark", None) if "flow" in context or "quoted" in context else None
    )
    mark = opened or getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:  # at the end of the file: its last line
        return min(_mark_line(mark), max(1, len(text.splitlines())))
    # A character YAML refuses: its first place is where the reader stopped (the reader's
    # own position counts characters in PyYAML but bytes in libyaml).
    character = getattr(error, "character", None)
    at = text.find(chr(character)) if isinstance(character, int) else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else 1
