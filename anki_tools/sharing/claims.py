"""Which guid each rendered note of a build asks for: its own (`identity.guid`: explicit
id, cell id or front text), or, when an earlier card of the build has the same front in
another file or under other headings, that front in its context. Any other second note
of a guid is an error naming both places. The lock then gives each claim its guid
(changes.py): the claimed one for a new card, the remembered one for a known card."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import Problems
from ..notes import RenderedNote, Source
from . import identity


@dataclass(frozen=True)
class Claim:
    """A rendered note and the guid it asks for."""

    rendered: RenderedNote
    guid: str
    same_front_as: Source | None = None  # an earlier card of the build with this front


def claim_guids(rendered: Iterable[RenderedNote], problems: Problems) -> list[Claim]:
    """The first note of each guid, and each later card with the same front in another
    file (or under other headings) with a guid of its own (see `_told_apart`)."""
    by_guid: dict[str, Claim] = {}
    for item in rendered:
        claim = Claim(item, identity.guid(item.note))
        earlier = by_guid.get(claim.guid)
        if earlier is not None:
            apart = _told_apart(claim, earlier, by_guid)
            if apart is None:
                hint = identity.duplicate_hint(item.note)
                message = f"duplicate card: same id as {earlier.rendered.note.source} ({hint})"
                problems.error(item.note.source, message)
                continue
            claim = apart
            by_guid[earlier.guid] = replace(earlier, rendered=_with_all_headings(earlier.rendered))
        by_guid[claim.guid] = claim
    return list(by_guid.values())


def _told_apart(claim: Claim, earlier: Claim, taken: dict[str, Claim]) -> Claim | None:
    """Two cards with the same front ("## Next steps") in different files, or under
    different headings of one file, are both built: the later one's guid joins its
    headings (then its file) to the front. The lock keeps that guid, so it stays when the
    other card goes or either file moves. The warning comes when the card is new to the
    lock (pipeline's `_warn_same_fronts`)."""
    note, first = claim.rendered.note, earlier.rendered.note
    if note.source.path == first.source.path and note.parents == first.parents:
        return None  # side by side in one file: the author gives one an id
    if not (identity.has_front_guid(note) and identity.has_front_guid(first)):
        return None
    where = Path(os.path.relpath(note.source.path.absolute(), note.root.absolute()))
    for guid in identity.guids_in_context(note, where.as_posix()):
        if guid not in taken:
            return Claim(_with_all_headings(claim.rendered), guid, same_front_as=first.source)
    return None


def _with_all_headings(item: RenderedNote) -> RenderedNote:
    """A card whose front another card has shows every heading above it, the file's `#`
    title too: the learner sees which one it is."""
    shown, every = item.context
    if shown == every:
        return item
    name = next(iter(item.fields))  # Front, or a cloze's Text
    fields = {**item.fields, name: every + item.fields[name].removeprefix(shown)}
    return replace(item, fields=fields, context=(every, every), content=None)
