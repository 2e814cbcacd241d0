"""Import built decks into a real Anki collection (the `anki` package) and read what it shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

STYLE_AND_SCRIPT_RE = re.compile(r"<style>.*?</style>|<script>.*?</script>", re.DOTALL)


@dataclass
class ShownCard:
    """One card as a learner sees it."""

    note_type: str
    deck: str
    tags: list[str]
    guid: str
    fields: dict[str, str]
    question: str  # rendered HTML without the note type's <style> and the card <script>
    answer: str
    css: str
    ord: int


class AnkiProfile:
    """A fresh collection, as a new Anki profile would have."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.col = Collection(str(folder / "collection.anki2"))

    def import_deck(self, apkg: Path) -> tuple[int, int, int]:
        """Import with the options of Anki's import dialog; return (new, updated, duplicate)."""
        request = ImportAnkiPackageRequest(
            package_path=str(apkg), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
        log = self.col.import_anki_package(request).log
        return len(log.new), len(log.updated), len(log.duplicate)

    def cards(self) -> list[ShownCard]:
        shown = []
        for card_id in self.col.find_cards(""):
            card = self.col.get_card(card_id)
            note = card.note()
            shown.append(
                ShownCard(
                    note_type=note.note_type()["name"],
                    deck=self.col.decks.name(card.did),
                    tags=list(note.tags),
                    guid=note.guid,
                    fields=dict(note.items()),
                    question=visible(card.question()),
                    answer=visible(card.answer()),
                    css=note.note_type()["css"],
                    ord=card.ord,
                )
            )
        return shown

    def media_files(self) -> dict[str, bytes]:
        folder = Path(self.col.media.dir())
        return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}

    def close(self) -> None:
        self.col.close()


def visible(html: str) -> str:
    return STYLE_AND_SCRIPT_RE.sub("", html)


def collection_rows(path: Path, with_times: bool = True) -> dict[str, list[list[object]]]:
    """What a learner's collection holds of notes, cards, decks and note types, without
    the ids that differ between any two imports. `with_times=False` leaves out the notes'
    and note types' modified times too (two syncs made at other moments differ there)."""
    note_time, type_time = (", mod", ", mtime_secs") if with_times else ("", "")
    col = Collection(str(path))
    try:
        return {
            "notes": col.db.all(
                f"SELECT guid, mid{note_time}, flds, tags FROM notes ORDER BY guid"
            ),
            "cards": col.db.all(
                "SELECT n.guid, c.ord, d.name, c.queue, c.type FROM cards c "
                "JOIN notes n ON n.id = c.nid JOIN decks d ON d.id = c.did ORDER BY n.guid, c.ord"
            ),
            "decks": col.db.all("SELECT name FROM decks ORDER BY name"),
            "note types": col.db.all("SELECT name FROM notetypes ORDER BY name"),
            "our note types": col.db.all(
                f"SELECT id, name{type_time} FROM notetypes WHERE name LIKE 'anki-tools %' "
                "ORDER BY id"
            ),
        }
    finally:
        col.close()
