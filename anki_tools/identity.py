"""Note identity: guids that survive edits of the back, and fixed ids for decks.

genanki's default guid hashes every field, so any edit makes a new note in Anki;
ours comes from an explicit id or, failing that, the normalized front text.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata

from .notes import Note

WHITESPACE_RE = re.compile(r"\s+")
NAMESPACE = "anki-tools"


def guid(note: Note) -> str:
    """Explicit `{#id}` first, then the front text, normalized so spacing and case don't count."""
    if note.explicit_id:
        return _hash("id", note.explicit_id)
    return _hash("front", normalize(note.front))


def normalize(text: str) -> str:
    return WHITESPACE_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def deck_id(name: str) -> int:
    """A fixed id from the deck's name, so re-imports land in the same deck."""
    digest = hashlib.sha256(f"{NAMESPACE}:deck:{name}".encode()).digest()
    # Anki ids are positive 63-bit integers; stay well inside that range.
    return int.from_bytes(digest[:6], "big") + (1 << 40)


def _hash(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{NAMESPACE}:{kind}:{value}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()
