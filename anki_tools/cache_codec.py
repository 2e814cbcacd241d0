"""One file's work ↔ a render cache entry: versioned, and checked value by value.

An entry is one line of JSON, then the HTML of every field, one after the other, as
UTF-8 (the JSON gives each field's length): the HTML is most of an entry, and slicing
it out is many times faster than reading it as JSON strings full of escaped quotes.
JSON, not pickle: an entry is data whatever is written in the cache folder, and a
wrong value (a truncated file, an older format, a hand edit) is `BadEntry`, which the
cache takes for a miss. Lists rather than objects keep entries small and fast to read.
An entry keeps a note as rendering leaves it (`notes.after_rendering`): without its
Markdown back and hint, their parts and a notebook's attachments, which no stage after
rendering reads (the fields hold their HTML, the media the attachments' images).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import Problem, Severity
from .notes import Kind, Media, Note, RenderedNote, Source
from .render.media import MediaRead
from .workers import FileWork

FORMAT = 5
KINDS = {kind.value: kind for kind in Kind}
SEVERITIES = {severity.value: severity for severity in Severity}


class BadEntry(ValueError):
    """An entry that cannot be what the cache wrote."""


def encode(work: FileWork, key: str) -> bytes:
    """The entry for one file's work."""
    read_names = {read.name for read in work.reads}
    html: list[bytes] = []
    entry = {
        "format": FORMAT,
        "key": key,
        "parsed": work.parsed,
        "problems": [problem_json(p) for p in work.problems],
        "reads": [[r.located, r.resolved, r.name, r.embed] for r in work.reads],
        "notes": [_rendered(r, read_names, html) for r in work.rendered],
    }
    head = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
    return b"".join([head, b"\n", *html])  # JSON text holds no raw newline


def decode(data: bytes, key: str) -> tuple[list[MediaRead], Callable[[dict[str, bytes]], FileWork]]:
    """The entry's image reads (to check before using it) and a function giving its
    work from the images' contents by media name."""
    try:
        head, _, html = data.partition(b"\n")
        entry = json.loads(head)
        if entry["format"] != FORMAT or entry["key"] != key:
            raise BadEntry("another format or key")
        reads = [
            MediaRead(_str(a), _str(b), _str(c), _opt(d, str)) for a, b, c, d in entry["reads"]
        ]
        problems = [problem_from_json(p) for p in entry["problems"]]
        parsed = entry["parsed"]
        notes = entry["notes"]
        if not isinstance(parsed, int) or not isinstance(notes, list):
            raise BadEntry("parsed")
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise BadEntry(str(error)) from error

    def work(images: dict[str, bytes]) -> FileWork:
        fields = _FieldReader(html)
        try:
            rendered = [_to_rendered(item, images, fields) for item in notes]
            fields.check_end()
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
            raise BadEntry(str(error)) from error
        return FileWork(rendered, parsed, problems, tuple(reads))

    return reads, work


def source_json(source: Source) -> list[Any]:
    return [str(source.path), source.line, source.cell]


def source_from_json(value: Any) -> Source:
    path, line, cell = value
    return Source(_path(_str(path)), _opt(line, int), _opt(cell, int))


@lru_cache(maxsize=1024)
def _path(text: str) -> Path:
    """One Path for the many notes of a file (making a Path costs more than the note)."""
    return Path(text)


def problem_json(problem: Problem) -> list[Any]:
    return [source_json(problem.source), problem.message, problem.severity.value]


def problem_from_json(value: Any) -> Problem:
    source, message, severity = value
    return Problem(source_from_json(source), _str(message), SEVERITIES[severity])


class _FieldReader:
    """The fields' HTML after an entry's JSON, read in the order it was written."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.at = 0

    def take(self, length: Any) -> str:
        end = self.at + _int(length)
        if length < 0 or end > len(self.data):
            raise BadEntry("the fields end early")
        text = str(self.data[self.at : end], "utf-8", "surrogatepass")
        self.at = end
        return text

    def check_end(self) -> None:
        if self.at != len(self.data):
            raise BadEntry("more after the fields")


def _rendered(rendered: RenderedNote, read_names: set[str], html: list[bytes]) -> list[Any]:
    note = rendered.note
    media = [
        [m.name, None if m.name in read_names else base64.b64encode(m.data).decode("ascii")]
        for m in rendered.media
    ]
    return [
        note.kind.value,
        [note.front, note.deck, note.title, str(note.root)],
        list(note.tags),
        source_json(note.source),
        [note.explicit_id, note.cell_id, note.url, note.code_language],
        [[level, text] for level, text in note.parents],
        _fields(rendered.fields, html),
        media,
        list(rendered.context),
        None if rendered.content is None else list(rendered.content),
        rendered.cards,
    ]


def _fields(fields: dict[str, str], html: list[bytes]) -> list[list[Any]]:
    """Each field's name and length; its HTML goes after the JSON."""
    names = []
    for name, text in fields.items():
        data = text.encode("utf-8", "surrogatepass")
        html.append(data)
        names.append([name, len(data)])
    return names


def _to_rendered(value: Any, images: dict[str, bytes], html: _FieldReader) -> RenderedNote:
    kind, texts, tags, source, ids, parents, fields, media, context, hashed, cards = value
    front, deck, title, root = (_str(text) for text in texts)
    explicit_id, cell_id, url, code_language = (_opt(item, str) for item in ids)
    note = Note(
        kind=KINDS[kind],
        front=front,
        back="",  # as notes.after_rendering leaves a rendered note
        hint="",
        deck=deck,
        tags=tuple(_str(tag) for tag in tags),
        source=source_from_json(source),
        title=title,
        root=_path(root),
        explicit_id=explicit_id,
        cell_id=cell_id,
        url=url,
        code_language=code_language,
        parents=tuple((_int(level), _str(text)) for level, text in parents),
    )
    fields = {_str(name): html.take(length) for name, length in fields}
    files = tuple(_to_media(name, data, images) for name, data in media)
    first, second = context
    content = None if hashed is None else _content(*hashed)
    if _int(cards) < 1:
        raise BadEntry("a note makes at least one card")
    return RenderedNote(note, fields, files, (_str(first), _str(second)), content, cards)


def _content(type_id: Any, digest: Any) -> tuple[int, str]:
    return _int(type_id), _str(digest)


def _to_media(name: Any, data: Any, images: dict[str, bytes]) -> Media:
    if data is None:
        return Media(_str(name), images[name])
    return Media(_str(name), base64.b64decode(_str(data), validate=True))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise BadEntry("not a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadEntry("not a number")
    return value


def _opt(value: Any, kind: type[Any]) -> Any:
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise BadEntry(f"not a {kind.__name__}")
    return value
