"""StampedNotes → one `.apkg`. The only module that imports genanki.

Vocabulary: a `genanki.Model` is a note type, a `genanki.Note` one note, and a
card is one review item per card template.

genanki stamps every note, card and note type with one build time and numbers them from
it; we let it write the collection, then give each note the id and modified time the
lock holds and zip it ourselves with fixed entry dates, so the same sources and lock
give the same bytes.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import genanki

from .errors import OutputError
from .files import write_atomically
from .notes import Kind, Media, Source, StampedNote
from .progress import WRITING, Progress, Step
from .sharing.identity import deck_id
from .templates import NoteType

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
ZIP_UNIX = 3  # "made on Unix", wherever it is made, so the bytes match
COPY_CHUNK = 1 << 20


def write_package(
    notes: Iterable[StampedNote],
    note_types: dict[Kind, NoteType],
    note_type_modified: dict[Kind, int],
    output: Path | BinaryIO,
    descriptions: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> None:
    """Write every note into its deck in one package: to a file atomically (temp file +
    rename), or into a stream (the nbconvert exporter hands nbconvert the bytes);
    `progress` hears of each note as genanki writes it."""
    notes = list(notes)
    models = {kind: _model(note_type) for kind, note_type in note_types.items()}
    decks: dict[str, genanki.Deck] = {}
    media: dict[str, Media] = {}
    for stamped in notes:
        name = stamped.rendered.note.deck
        if name not in decks:
            description = (descriptions or {}).get(name, "")
            decks[name] = genanki.Deck(deck_id(name), name, description)
        decks[name].add_note(_note(stamped, models[stamped.rendered.note.kind]))
        media.update((item.name, item) for item in stamped.rendered.media)
    package = genanki.Package([decks[name] for name in sorted(decks)])
    model_times = {note_types[kind].id: time for kind, time in note_type_modified.items()}
    try:
        with tempfile.TemporaryDirectory(prefix="anki-tools-") as folder:
            collection = Path(folder) / "collection.anki2"
            _write_collection(package, notes, model_times, collection, progress)
            if isinstance(output, Path):
                write_atomically(output, lambda target: _zip(collection, media.values(), target))
            else:
                _zip(collection, media.values(), output)
    except OSError as error:
        # Into a stream, only the temporary folder of the collection can fail.
        place = Source(output if isinstance(output, Path) else Path(tempfile.gettempdir()))
        raise OutputError(f"cannot write the deck: {error.strerror}", place) from error


def _model(note_type: NoteType) -> genanki.Model:
    return genanki.Model(
        note_type.id,
        note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[
            {"name": card.name, "qfmt": card.front, "afmt": card.back} for card in note_type.cards
        ],
        css=note_type.css,
        model_type=genanki.Model.CLOZE if note_type.cloze else genanki.Model.FRONT_BACK,
    )


class _Note(genanki.Note):  # type: ignore[misc]  # genanki has no types
    """genanki's note without its search of every field for unescaped tags: our fields
    are nh3's output or built from escaped text, so it never finds one, and its regex
    was a third of the packaging's time."""

    def _check_invalid_html_tags_in_fields(self) -> None:
        pass


def _note(stamped: StampedNote, model: genanki.Model) -> genanki.Note:
    # The renderer filled the note type's own fields (templates.field_names): a name
    # missing here is a bug, never a field to leave empty.
    fields = [stamped.rendered.fields[field["name"]] for field in model.fields]
    tags = sorted(set(stamped.rendered.note.tags))
    return _Note(model=model, fields=fields, guid=stamped.guid, tags=tags)


def _write_collection(
    package: genanki.Package,
    notes: list[StampedNote],
    model_times: dict[int, int],
    path: Path,
    progress: Progress | None = None,
) -> None:
    """genanki's collection with the lock's note ids and modified times."""
    by_guid = {stamped.guid: stamped for stamped in notes}
    # Most notes share a time (all of a first build; the unchanged ones later): that is
    # genanki's, and only the others are set after it.
    times = Counter(stamped.modified for stamped in notes).most_common(1)
    common = times[0][0] if times else 0
    connection = sqlite3.connect(path)
    try:
        cursor = connection.cursor()
        # A scratch file, zipped when complete: nothing to recover after a crash, so no
        # journal and no flush to disk after each of genanki's statements (each flush
        # cost more than writing 10k notes' rows). Neither is recorded in the file.
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
        package.write_to_db(cursor, common, _ids(package, by_guid, progress))
        written = dict(cursor.execute("SELECT guid, id FROM notes").fetchall())
        if any(written[guid] != stamped.note_id for guid, stamped in by_guid.items()):
            raise RuntimeError("genanki numbered the notes in an unexpected order")
        others = [(n.modified, n.note_id) for n in notes if n.modified != common]
        cursor.executemany("UPDATE notes SET mod = ? WHERE id = ?", others)
        cursor.executemany("UPDATE cards SET mod = ? WHERE nid = ?", others)
        (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
        models = json.loads(models_json)
        for model in models.values():
            model["mod"] = model_times.get(int(model["id"]), model["mod"])
        cursor.execute("UPDATE col SET models = ?", (json.dumps(models),))
        connection.commit()
    finally:
        connection.close()


def _ids(
    package: genanki.Package, by_guid: dict[str, StampedNote], progress: Progress | None
) -> Iterator[int]:
    """The ids genanki draws, in its order: each note's, then each of its cards' (the
    note's id + the card's number). A change of that order is caught after writing.
    genanki draws a note's id as it writes the note: that is the writing's progress."""
    done = 0
    for deck in package.decks:
        for note in deck.notes:
            note_id = by_guid[note.guid].note_id
            done += 1
            if progress:
                progress(Step(WRITING, done, len(by_guid)))
            yield note_id
            for card in note.cards:
                yield note_id + card.ord


def _zip(collection: Path, media: Iterable[Media], target: Path | BinaryIO) -> None:
    """The package: collection, media index, media files; fixed dates and modes."""
    files = sorted(media, key=lambda item: item.name)
    index = {str(number): item.name for number, item in enumerate(files)}
    entries = [("media", json.dumps(index).encode())]
    entries += [(str(number), item.data) for number, item in enumerate(files)]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        # The collection is copied in chunks (100k notes make hundreds of megabytes); the
        # size is set first, as writestr sets it, so the entry's bytes are the same.
        info = _entry("collection.anki2")
        info.file_size = collection.stat().st_size
        with collection.open("rb") as source, archive.open(info, "w") as entry:
            shutil.copyfileobj(source, entry, COPY_CHUNK)
        for name, data in entries:
            archive.writestr(_entry(name), data)


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system = ZIP_UNIX
    info.external_attr = 0o644 << 16
    return info
