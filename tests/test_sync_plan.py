"""sync's plan, without Anki: state × build × collection → what to do with each note."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from anki_tools.notes import Source
from anki_tools.sync.backend import CollectionCard, CollectionNote, fields_hash
from anki_tools.sync.plan import (
    DELETED,
    EDITED,
    EDITED_REMOVED,
    NEWER,
    OTHER_TYPE,
    BuildNote,
    Move,
    Removal,
    Request,
    Skip,
    Update,
    plan_sync,
)
from anki_tools.sync.state import SyncedNote

OURS = frozenset({111})
FORCE = Request(force=True)


def built(guid: str = "g1", content: str = "c1", deck: str = "D", modified: int = 100) -> BuildNote:
    return BuildNote(
        guid,
        1000,
        content,
        deck,
        modified,
        fields_hash([content], []),
        Source(Path("a.md"), 3),
        "T",
    )


def synced(note: BuildNote, modified: int = 100, removed: bool = False) -> SyncedNote:
    return SyncedNote(
        7, note.content, note.deck, modified, note.fields_hash, "a.md:3", "T", removed
    )


def in_anki(
    note: BuildNote, modified: int = 100, deck: str | None = None, **kw: object
) -> CollectionNote:
    fields = kw.pop("fields_hash", note.fields_hash)
    note_type = kw.pop("note_type_id", 111)
    cards = (CollectionCard(70, deck or note.deck), CollectionCard(71, deck or note.deck))
    return CollectionNote(7, note_type, modified, fields, cards)  # type: ignore[arg-type]


def test_a_first_sync_adds_every_note_and_imports_it_with_its_own_time() -> None:
    note = built()
    plan = plan_sync({}, [note], {}, OURS)
    assert plan.added == (note,)
    assert plan.package() == {"g1": 100}
    assert (plan.updated, plan.unchanged, plan.skipped, plan.removed) == ((), (), (), ())


def test_an_unchanged_note_is_left_out_of_the_package() -> None:
    note = built()
    plan = plan_sync({"g1": synced(note)}, [note], {"g1": in_anki(note)}, OURS)
    assert plan.unchanged == (note,)
    assert plan.package() == {}


def test_a_changed_note_is_updated_with_a_time_newer_than_the_collections() -> None:
    old, new = built(content="c1"), built(content="c2", modified=100)
    # Sync's own tagging can leave the collection's time later than the build's.
    plan = plan_sync({"g1": synced(old, 150)}, [new], {"g1": in_anki(old, 150)}, OURS)
    assert plan.updated == (Update(new, 151),)
    assert plan.package() == {"g1": 151}


def test_a_note_edited_in_anki_is_skipped_by_time_or_by_fields() -> None:
    old, new = built(content="c1"), built(content="c2", modified=300)
    by_time = in_anki(old, modified=200)
    by_fields = in_anki(old, fields_hash="edited")
    for found in (by_time, by_fields):
        plan = plan_sync({"g1": synced(old)}, [new], {"g1": found}, OURS)
        assert plan.skipped == (Skip(new, EDITED),)
        assert plan.package() == {}
    # Even when the sources did not change: the learner's text stays.
    plan = plan_sync({"g1": synced(old)}, [old], {"g1": by_time}, OURS)
    assert plan.skipped == (Skip(old, EDITED),)


def test_force_overwrites_a_note_edited_in_anki() -> None:
    old = built()
    plan = plan_sync({"g1": synced(old)}, [old], {"g1": in_anki(old, 200)}, OURS, FORCE)
    assert plan.updated == (Update(old, 201),)


def test_a_note_deleted_in_anki_is_not_added_again_unless_forced() -> None:
    note = built()
    assert plan_sync({"g1": synced(note)}, [note], {}, OURS).skipped == (Skip(note, DELETED),)
    assert plan_sync({"g1": synced(note)}, [note], {}, OURS, FORCE).added == (note,)


def test_a_guid_of_another_note_type_is_left_alone_even_when_forced() -> None:
    note = built()
    found = {"g1": in_anki(note, note_type_id=999)}
    for request in (Request(), FORCE):
        plan = plan_sync({"g1": synced(note)}, [note], found, OURS, request)
        assert plan.skipped == (Skip(note, OTHER_TYPE),)
        assert plan.package() == {}


def test_a_note_never_synced_but_in_the_collection() -> None:
    note = built(content="c2", modified=100)
    same = in_anki(note, 50)
    assert plan_sync({}, [note], {"g1": same}, OURS).unchanged == (note,)
    older = in_anki(note, 50, fields_hash="x")
    assert plan_sync({}, [note], {"g1": older}, OURS).updated == (Update(note, 100),)
    newer = in_anki(note, 100, fields_hash="x")
    assert plan_sync({}, [note], {"g1": newer}, OURS).skipped == (Skip(note, NEWER),)
    assert plan_sync({}, [note], {"g1": newer}, OURS, FORCE).updated == (Update(note, 101),)
    assert plan_sync({}, [note], {"g1": newer}, OURS).moved == ()


def test_a_deck_change_moves_the_cards_still_in_the_old_deck() -> None:
    old, new = built(deck="Old"), built(deck="New")
    found = in_anki(old)
    found = replace(found, cards=(CollectionCard(70, "Old"), CollectionCard(71, "Mine")))
    plan = plan_sync({"g1": synced(old)}, [new], {"g1": found}, OURS)
    assert plan.moved == (Move(new, (70,), "Old"),)  # 71: the learner moved it there


def test_a_note_gone_from_the_build_is_removed_and_deleted_only_when_asked() -> None:
    note = built()
    entry = synced(note)
    found = {"g1": in_anki(note)}
    assert plan_sync({"g1": entry}, [], found, OURS).removed == (Removal("g1", 7, entry, False),)
    deleting = plan_sync({"g1": entry}, [], found, OURS, Request(delete_removed=True))
    assert deleting.removed == (Removal("g1", 7, entry, True),)


def test_an_edited_note_gone_from_the_build_is_suspended_not_deleted_unless_forced() -> None:
    note = built()
    entry = synced(note)
    found = {"g1": in_anki(note, 200)}
    asked = Request(delete_removed=True)
    plan = plan_sync({"g1": entry}, [], found, OURS, asked)
    assert plan.removed == (Removal("g1", 7, entry, False, EDITED_REMOVED),)
    forced = Request(delete_removed=True, force=True)
    assert plan_sync({"g1": entry}, [], found, OURS, forced).removed[0].delete


def test_a_removed_note_is_removed_once_deleted_later_and_restored_when_back() -> None:
    note = built()
    entry = synced(note, removed=True)
    found = {"g1": in_anki(note)}
    assert plan_sync({"g1": entry}, [], found, OURS).removed == ()
    assert plan_sync({"g1": entry}, [], found, OURS, Request(delete_removed=True)).removed[0].delete
    back = plan_sync({"g1": entry}, [note], found, OURS)
    assert back.updated == (Update(note, 101, restore=True),)


def test_a_synced_note_gone_from_both_build_and_collection_is_forgotten() -> None:
    note = built()
    assert plan_sync({"g1": synced(note)}, [], {}, OURS).gone == ("g1",)
    other_type = {"g1": in_anki(note, note_type_id=5)}
    plan = plan_sync({"g1": synced(note)}, [], other_type, OURS)
    assert (plan.gone, plan.removed) == (("g1",), ())


@pytest.mark.parametrize("request_", [Request(), FORCE, Request(delete_removed=True)])
def test_only_synced_and_built_guids_are_ever_planned(request_: Request) -> None:
    """A note of the collection that neither the state nor the build names is not in
    any list, whatever the flags."""
    note = built()
    stranger = built(guid="theirs")
    found = {"g1": in_anki(note), "theirs": in_anki(stranger)}
    plan = plan_sync({"g1": synced(note)}, [note], found, OURS, request_)
    named = {n.guid for n in plan.added + plan.unchanged}
    named |= {u.note.guid for u in plan.updated} | {r.guid for r in plan.removed}
    named |= {s.note.guid for s in plan.skipped} | set(plan.gone)
    assert "theirs" not in named
    assert named == {"g1"}


def test_fields_hash_sees_fields_order_and_tags_but_not_tag_order() -> None:
    assert fields_hash(["a", "b"], ["x", "y"]) == fields_hash(["a", "b"], ["y", "x"])
    assert fields_hash(["a", "b"], []) != fields_hash(["b", "a"], [])
    assert fields_hash(["a"], ["x"]) != fields_hash(["a"], [])
    assert fields_hash(["a\x1fb"], []) != fields_hash(["a", "b"], [])
    assert fields_hash(["e\u0301"], []) == fields_hash(["\u00e9"], [])  # as Anki stores it


def test_a_backend_that_cannot_tell_modified_times_sees_edits_by_fields() -> None:
    """AnkiConnect's notesInfo has no modified time: edits show in fields and tags; an
    update carries one past the clock (newer than any edit), and a note sync never wrote is left
    to the import's own "only if newer"."""
    old, new = built(content="c1"), built(content="c2", modified=100)
    unknown = replace(in_anki(old), modified=None)
    plan = plan_sync({"g1": synced(old, 150)}, [new], {"g1": unknown}, OURS, now=900)
    assert plan.updated == (Update(new, 901),)
    edited = replace(unknown, fields_hash="edited")
    plan = plan_sync({"g1": synced(old, 150)}, [new], {"g1": edited}, OURS, now=900)
    assert plan.skipped == (Skip(new, EDITED),)
    plan = plan_sync({"g1": synced(old, 150)}, [new], {"g1": edited}, OURS, FORCE, now=900)
    assert plan.updated == (Update(new, 901),)
    by_hand = plan_sync({}, [new], {"g1": edited}, OURS, now=900)
    assert by_hand.updated == (Update(new, 100, import_decides=True),)
    assert plan_sync({}, [new], {"g1": edited}, OURS, FORCE, now=900).updated == (Update(new, 901),)
