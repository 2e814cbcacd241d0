"""Note identity: guids that survive edits of the back, and fixed ids for decks.

genanki's default guid hashes every field, so any edit makes a new note in Anki;
ours comes from an explicit id, a notebook cell's id, or the normalized front text.
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
    """Explicit `{#id}` first, then the cell id, then the front text, normalized so spacing
    and case don't count."""
    if note.explicit_id:
        return _hash("id", note.explicit_id)
    if note.cell_id:
        # Cell ids are unique within a notebook only, and a copied notebook keeps them:
        # the notebook's file name keeps a copy's cards apart from the original's.
        return _hash("cell", f"{note.source.path.name}:{note.cell_id}")
    return _hash("front", normalize(note.front))


def duplicate_hint(note: Note) -> str:
    """How to give one of two cards with the same guid an identity of its own."""
    if note.cell_id:
        return "notebooks with the same file name share cell ids (is one a copy?): rename one"
    if note.source.cell is not None:
        return (
            "the notebook predates cell ids, so a card is known by its front: reword one, "
            "or open and save the notebook in Jupyter to give its cells ids"
        )
    return "give one of them its own id, e.g. '## Question {#my-id}'"


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
