"""RenderedNotes → one `.apkg`. The only module that imports genanki.

Vocabulary: a `genanki.Model` is a note type, a `genanki.Note` one note, and a
card is one review item per card template.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import genanki

from .errors import OutputError
from .identity import deck_id
from .notes import Kind, Media, RenderedNote, Source
from .templates import NoteType


def write_package(
    notes: Iterable[RenderedNote],
    note_types: dict[Kind, NoteType],
    output: Path,
    timestamp: float,
    descriptions: dict[str, str] | None = None,
) -> None:
    """Write every note into its deck in one package, atomically (temp file + rename)."""
    models = {kind: _model(note_type) for kind, note_type in note_types.items()}
    decks: dict[str, genanki.Deck] = {}
    media: dict[str, Media] = {}
    for rendered in notes:
        name = rendered.note.deck
        if name not in decks:
            description = (descriptions or {}).get(name, "")
            decks[name] = genanki.Deck(deck_id(name), name, description)
        decks[name].add_note(_note(rendered, models[rendered.note.kind]))
        media.update((item.name, item) for item in rendered.media)
    with tempfile.TemporaryDirectory(prefix="anki-tools-media-") as media_dir:
        paths = _media_files(media.values(), Path(media_dir))
        package = genanki.Package([decks[name] for name in sorted(decks)], media_files=paths)
        _write_atomically(package, output, timestamp)


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


def _note(rendered: RenderedNote, model: genanki.Model) -> genanki.Note:
    fields = [rendered.fields.get(field["name"], "") for field in model.fields]
    tags = sorted(set(rendered.note.tags))
    return genanki.Note(model=model, fields=fields, guid=rendered.guid, tags=tags)


def _media_files(media: Iterable[Media], folder: Path) -> list[str]:
    paths = []
    for item in sorted(media, key=lambda m: m.name):
        path = folder / item.name
        path.write_bytes(item.data)
        paths.append(str(path))
    return paths


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomically(package: genanki.Package, output: Path, timestamp: float) -> None:
    """Write beside the output and rename: a failed build never leaves a truncated deck."""
    temporary: Path | None = None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        os.close(handle)
        temporary = Path(name)
        package.write_to_file(str(temporary), timestamp=timestamp)
        # mkstemp makes the file private (0600); a deck is meant to be shared.
        temporary.chmod(0o666 & ~_umask())
        os.replace(temporary, output)
    except OSError as error:
        raise OutputError(f"cannot write the deck: {error.strerror}", Source(output)) from error
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
