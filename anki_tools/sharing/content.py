"""The lock's hash of what Anki stores for a note: one rule for the two places that work
it out. Workers hash each note they render (in parallel, and a cached file's notes keep
their hashes), so a build hashes only what it rendered; the lock's planning hashes a note
that came without one, or with one made for another note type.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..notes import Kind, RenderedNote

# json.dumps with these arguments would make this encoder anew for every note's hash.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content_hash(note: RenderedNote, type_id: int, fields: Sequence[str]) -> str:
    """What Anki stores for the note: its note type, fields, tags and deck."""
    values = [note.fields[name] for name in fields]
    return short_hash([type_id, values, sorted(set(note.note.tags)), note.note.deck])


def with_content(
    note: RenderedNote, type_ids: Mapping[Kind, int], fields: Mapping[Kind, tuple[str, ...]]
) -> RenderedNote:
    """The note carrying its hash for its kind's note type (see RenderedNote.content);
    as it is when that note type has no id (loading the note types will say why)."""
    type_id = type_ids.get(note.note.kind)
    if type_id is None:
        return note
    return replace(note, content=(type_id, content_hash(note, type_id, fields[note.note.kind])))


def short_hash(data: object) -> str:
    text = _COMPACT.encode(data)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
