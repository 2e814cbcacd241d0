"""Unit tests of note identity: matching a build's notes to lock entries, and `plan`."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from anki_tools import pipeline
from anki_tools.errors import Problems
from anki_tools.notes import Kind, Note, RenderedNote, Source
from anki_tools.parsers import markdown
from anki_tools.sharing import identity
from anki_tools.sharing.changes import NOTE_ID_SPACING, Change, Plan, plan
from anki_tools.sharing.claims import claim_guids
from anki_tools.sharing.identity import NoteKeys, fresh_guid, match
from anki_tools.sharing.lock import Lock, LockedNote, LockedNoteType
from anki_tools.templates import NoteType, load_note_types

# --- building blocks ------------------------------------------------------------------------


def entry(
    name: str,
    file: str = "a.md",
    *,
    front: str | None = None,
    content: str | None = None,
    explicit_id: str | None = None,
    cell_id: str | None = None,
) -> LockedNote:
    """A lock entry whose guid is `name`; front and content hashes default to `name` too."""
    return LockedNote(
        guid=name,
        source=f"{file}:1",
        title=name,
        note_id=1,
        modified=1,
        front=front or f"front-{name}",
        content=content or f"content-{name}",
        kind="basic",
        explicit_id=explicit_id,
        cell_id=cell_id,
    )


def same(old: LockedNote, file: str | None = None) -> NoteKeys:
    """The note of `old`, unchanged (perhaps moved to `file`)."""
    return NoteKeys(file or old.file, old.explicit_id, old.cell_id, old.front, old.content)


def back_edited(old: LockedNote, file: str | None = None) -> NoteKeys:
    """The note of `old` with the same front and another back."""
    return replace(same(old, file), content=f"{old.content}-edited")


def reworded(old: LockedNote, file: str | None = None) -> NoteKeys:
    """The note of `old` with another front (and so other content), ids kept."""
    return replace(same(old, file), front=f"{old.front}-reworded", content=f"{old.content}-rew")


def new(name: str, file: str = "a.md", cell_id: str | None = None) -> NoteKeys:
    return NoteKeys(file, None, cell_id, f"front-new-{name}", f"content-new-{name}")


def guids(found: list[LockedNote | None]) -> list[str | None]:
    return [e.guid if e else None for e in found]


# --- one test per pass ----------------------------------------------------------------------


def test_nothing_to_match() -> None:
    assert match([], []) == []
    assert match([new("x")], []) == [None]
    assert match([], [entry("a")]) == []


def test_pass_1_explicit_id_follows_a_card_anywhere() -> None:
    old = entry("e", "a.md", explicit_id="my-id")
    note = NoteKeys("b.md", "my-id", None, "another front", "another content")
    assert guids(match([note], [old])) == ["e"]


def test_pass_2_cell_id_in_the_same_notebook() -> None:
    old = [entry("c1", "nb.ipynb", cell_id="x1"), entry("c2", "nb.ipynb", cell_id="x2")]
    notes = [reworded(old[1]), reworded(old[0])]  # both reworded and swapped
    assert guids(match(notes, old)) == ["c2", "c1"]


def test_pass_2_does_not_match_a_cell_id_of_another_notebook_in_the_build() -> None:
    old = [entry("c1", "nb.ipynb", cell_id="x1"), entry("k", "nb.ipynb")]
    notes = [same(old[1]), reworded(old[0], "other.ipynb")]
    assert guids(match(notes, old)) == ["k", None]


def test_pass_3_same_content_in_another_file() -> None:
    old = [entry("a1", "a.md"), entry("a2", "a.md")]
    notes = [same(old[0]), same(old[1], "b.md")]
    assert guids(match(notes, old)) == ["a1", "a2"]


def test_pass_4_same_front_with_an_edited_back() -> None:
    old = [entry("a1"), entry("a2"), entry("a3")]
    notes = [back_edited(old[2]), back_edited(old[0], "b.md"), same(old[1])]
    assert guids(match(notes, old)) == ["a3", "a1", "a2"]


def test_pass_5_renamed_notebook_keeps_its_cells() -> None:
    old = [entry("c1", "old.ipynb", cell_id="x1"), entry("c2", "old.ipynb", cell_id="x2")]
    notes = [reworded(old[0], "new.ipynb"), reworded(old[1], "new.ipynb")]
    assert guids(match(notes, old)) == ["c1", "c2"]


def test_pass_5_needs_the_old_notebook_gone_from_the_build() -> None:
    old = [entry("c1", "old.ipynb", cell_id="x1"), entry("k", "old.ipynb", cell_id="k1")]
    # old.ipynb is still built (its other cell is there): a copy, not a rename.
    notes = [same(old[1]), reworded(old[0], "new.ipynb")]
    assert guids(match(notes, old))[1] is None


def test_pass_6_one_reworded_card_between_the_same_neighbours() -> None:
    old = [entry("a1"), entry("a2"), entry("a3")]
    notes = [same(old[0]), reworded(old[1]), same(old[2])]
    assert guids(match(notes, old)) == ["a1", "a2", "a3"]


# --- precedence between passes ----------------------------------------------------------------


def test_explicit_id_beats_content() -> None:
    old = [entry("by-id", explicit_id="q"), entry("by-content", content="C")]
    note = NoteKeys("a.md", "q", None, "f", "C")
    assert guids(match([note], old)) == ["by-id"]


def test_explicit_id_is_taken_first_even_by_a_later_note() -> None:
    old = [entry("e", content="C", explicit_id="q")]
    notes = [NoteKeys("a.md", None, None, "f", "C"), NoteKeys("a.md", "q", None, "g", "D")]
    assert guids(match(notes, old)) == [None, "e"]


def test_cell_id_beats_content() -> None:
    old = [entry("cell", "nb.ipynb", cell_id="x1"), entry("content", "nb.ipynb", content="C")]
    note = NoteKeys("nb.ipynb", None, "x1", "f", "C")
    assert guids(match([note], old)) == ["cell"]
    # Without its cell id the same note would have gone by its content.
    assert guids(match([replace(note, cell_id=None)], old)) == ["content"]


def test_content_beats_front_when_two_entries_share_a_front() -> None:
    old = [entry("one", front="F", content="C1"), entry("two", front="F", content="C2")]
    note = NoteKeys("a.md", None, None, "F", "C2")
    assert guids(match([note], old)) == ["two"]
    # …and the other note with that front still gets the other entry.
    notes = [NoteKeys("a.md", None, None, "F", "C9"), note]
    assert guids(match(notes, old)) == ["one", "two"]


def test_front_beats_place() -> None:
    # The new card in a1's place has a2's front: it is a2 with a new back, and a1 is gone.
    old = [entry("a0"), entry("a1"), entry("a2"), entry("a3")]
    notes = [same(old[0]), back_edited(old[2]), same(old[3])]
    assert guids(match(notes, old)) == ["a0", "a2", "a3"]


def test_place_does_not_override_a_claimed_entry() -> None:
    # a2 moved to b.md (back edited) and a new card took its place in a.md: a2 is claimed,
    # so the new card is not paired with it.
    old = [entry("a1"), entry("a2"), entry("a3")]
    notes = [same(old[0]), new("x"), same(old[2]), back_edited(old[1], "b.md")]
    assert guids(match(notes, old)) == ["a1", None, "a3", "a2"]


# --- tie-breaking and uniqueness ------------------------------------------------------------


def test_same_file_wins_among_candidates() -> None:
    old = [entry("in-a", "a.md", front="F"), entry("in-b", "b.md", front="F")]
    assert guids(match([NoteKeys("b.md", None, None, "F", "x")], old)) == ["in-b"]
    assert guids(match([NoteKeys("a.md", None, None, "F", "x")], old)) == ["in-a"]


def test_earlier_entry_wins_when_no_candidate_is_in_the_same_file() -> None:
    old = [entry("first", "a.md", front="F"), entry("second", "b.md", front="F")]
    notes = [NoteKeys("c.md", None, None, "F", "x"), NoteKeys("d.md", None, None, "F", "y")]
    assert guids(match(notes, old)) == ["first", "second"]


def test_an_entry_is_given_once() -> None:
    old = [entry("e", front="F", content="C", explicit_id="q", cell_id="x")]
    notes = [
        NoteKeys("a.md", "q", "x", "F", "C"),
        NoteKeys("a.md", "q", "x", "F", "C"),
        NoteKeys("b.md", None, "x", "F", "C"),
    ]
    assert guids(match(notes, old)) == ["e", None, None]


def test_random_builds_never_give_an_entry_twice() -> None:
    rng = random.Random(20240521)
    files = ["a.md", "b.md", "nb.ipynb", "old.ipynb"]

    def pick(prefix: str, count: int) -> str | None:
        return None if rng.random() < 0.4 else f"{prefix}{rng.randrange(count)}"

    for _ in range(500):
        entries = [
            LockedNote(
                guid=f"g{number}",
                source=f"{rng.choice(files)}:{number}",
                title="",
                note_id=number,
                modified=number,
                front=f"f{rng.randrange(6)}",
                content=f"c{rng.randrange(6)}",
                kind="basic",
                explicit_id=pick("id", 4),
                cell_id=pick("cell", 4),
            )
            for number in range(rng.randrange(12))
        ]
        notes = [
            NoteKeys(
                rng.choice(files[:3]),
                pick("id", 4),
                pick("cell", 4),
                f"f{rng.randrange(6)}",
                f"c{rng.randrange(6)}",
            )
            for _ in range(rng.randrange(12))
        ]
        found = match(notes, entries)
        assert len(found) == len(notes)
        given = [e.guid for e in found if e is not None]
        assert len(given) == len(set(given)), (notes, entries)
        assert all(e in entries for e in found if e is not None)


# --- the same place ----------------------------------------------------------------------------


def test_place_reword_and_an_insert_elsewhere_in_the_file() -> None:
    old = [entry("a1"), entry("a2"), entry("a3"), entry("a4")]
    notes = [same(old[0]), reworded(old[1]), same(old[2]), new("x"), same(old[3])]
    assert guids(match(notes, old)) == ["a1", "a2", "a3", None, "a4"]


def test_place_reword_and_an_insert_in_the_same_gap_is_ambiguous() -> None:
    old = [entry("a1"), entry("a2"), entry("a3")]
    notes = [same(old[0]), reworded(old[1]), new("x"), same(old[2])]
    assert guids(match(notes, old)) == ["a1", None, None, "a3"]


def test_place_delete_card_2_and_reword_card_3_is_ambiguous() -> None:
    old = [entry("a1"), entry("a2"), entry("a3"), entry("a4")]
    notes = [same(old[0]), reworded(old[2]), same(old[3])]
    assert guids(match(notes, old)) == ["a1", None, "a4"]


def test_place_first_card_of_a_file() -> None:
    old = [entry("a1"), entry("a2"), entry("a3")]
    notes = [reworded(old[0]), same(old[1]), same(old[2])]
    assert guids(match(notes, old)) == ["a1", "a2", "a3"]


def test_place_last_card_of_a_file() -> None:
    old = [entry("a1"), entry("a2"), entry("a3")]
    notes = [same(old[0]), same(old[1]), reworded(old[2])]
    assert guids(match(notes, old)) == ["a1", "a2", "a3"]


def test_place_the_only_card_of_a_file() -> None:
    old = [entry("a1"), entry("b1", "b.md")]
    notes = [reworded(old[0]), same(old[1])]
    assert guids(match(notes, old)) == ["a1", "b1"]


def test_place_several_rewords_each_in_its_own_gap() -> None:
    old = [entry(f"a{n}") for n in range(1, 6)]
    notes = [reworded(old[0]), same(old[1]), reworded(old[2]), same(old[3]), reworded(old[4])]
    assert guids(match(notes, old)) == ["a1", "a2", "a3", "a4", "a5"]


def test_place_two_rewords_side_by_side_are_ambiguous() -> None:
    old = [entry("a1"), entry("a2"), entry("a3"), entry("a4")]
    notes = [same(old[0]), reworded(old[1]), reworded(old[2]), same(old[3])]
    assert guids(match(notes, old)) == ["a1", None, None, "a4"]


def test_place_is_per_file() -> None:
    # a2 was deleted from a.md, and a new card was added at the end of b.md.
    old = [entry("a1", "a.md"), entry("a2", "a.md"), entry("b1", "b.md")]
    notes = [same(old[0]), same(old[2]), new("x", "b.md")]
    assert guids(match(notes, old)) == ["a1", "b1", None]


def test_place_a_new_file_gets_no_old_entries() -> None:
    old = [entry("a1", "a.md")]
    assert guids(match([new("x", "b.md")], old)) == [None]


def test_place_a_card_moved_out_of_the_file_elsewhere_does_not_matter() -> None:
    # a1 moved to b.md unchanged; a3, two cards further on, was reworded.
    old = [entry("a1"), entry("a2"), entry("a3"), entry("a4")]
    notes = [same(old[1]), reworded(old[2]), same(old[3]), same(old[0], "b.md")]
    assert guids(match(notes, old)) == ["a2", "a3", "a4", "a1"]


def test_place_a_card_moved_out_of_the_file_is_an_anchor() -> None:
    # a2 moved to b.md: in a.md's old order it still stands between a1 and a3, so the
    # vanished a3 sits in the gap (a2, end) while the new card sits in (a1, end): not the
    # same gap, so no guess.
    old = [entry("a1"), entry("a2"), entry("a3")]
    notes = [same(old[0]), reworded(old[2]), same(old[1], "b.md")]
    assert guids(match(notes, old)) == ["a1", None, "a2"]


# --- renamed and copied notebooks --------------------------------------------------------------


def notebook_entries(file: str) -> list[LockedNote]:
    return [entry(f"{file}-{n}", file, cell_id=f"cell{n}") for n in range(3)]


def test_renamed_and_edited_notebook_keeps_every_card() -> None:
    old = notebook_entries("lesson.ipynb")
    notes = [reworded(e, "renamed.ipynb") for e in old]
    assert guids(match(notes, old)) == [e.guid for e in old]


def test_copied_notebook_does_not_steal_the_original_entries() -> None:
    old = notebook_entries("lesson.ipynb")
    # The copy sorts first in the build and has exactly the original's content.
    copy = [same(e, "a-copy.ipynb") for e in old]
    original = [same(e) for e in old]
    assert guids(match(copy + original, old)) == [None] * 3 + [e.guid for e in old]


def test_copied_notebook_does_not_steal_from_an_edited_original() -> None:
    old = notebook_entries("lesson.ipynb")
    copy = [same(e, "a-copy.ipynb") for e in old]  # the old text, before the edit
    original = [reworded(e) for e in old]
    assert guids(match(copy + original, old)) == [None] * 3 + [e.guid for e in old]


def test_copy_of_a_card_earlier_in_the_build_does_not_take_the_original_entry() -> None:
    # notes.md's card had its back edited; a-copy.md (earlier in the build) holds a copy
    # of the card given an id of its own. The entry belongs to the card still in notes.md.
    old = [entry("q", "notes.md", front="F", content="C")]
    copy = NoteKeys("a-copy.md", "copy", None, "F", "C-copy")
    original = NoteKeys("notes.md", None, None, "F", "C-edited")
    assert guids(match([copy, original], old)) == [None, "q"]


# --- natural guids and fresh guids -------------------------------------------------------------


def make_note(front: str, **changes: object) -> Note:
    note = Note(
        kind=Kind.BASIC,
        front=front,
        back="back",
        hint="",
        deck="d",
        tags=(),
        source=Source(Path("notes/a.md"), 1),
        title=front,
        root=Path("notes"),
    )
    return replace(note, **changes)  # type: ignore[arg-type]


def test_natural_guid_from_id_then_cell_then_front() -> None:
    by_front = identity.guid(make_note("What is a list?"))
    assert identity.guid(make_note("  what IS a\n list?  ")) == by_front
    assert identity.guid(make_note("What is a tuple?")) != by_front
    by_id = identity.guid(make_note("Q", explicit_id="x"))
    assert identity.guid(make_note("Other", explicit_id="x")) == by_id
    by_cell = identity.guid(make_note("Q", cell_id="c1", source=Source(Path("a/nb.ipynb"), cell=1)))
    moved = make_note("R", cell_id="c1", source=Source(Path("b/nb.ipynb"), cell=4))
    assert identity.guid(moved) == by_cell  # the notebook's name, not its folder
    copy = make_note("Q", cell_id="c1", source=Source(Path("a/nb-copy.ipynb"), cell=1))
    assert identity.guid(copy) != by_cell
    assert len({by_front, by_id, by_cell}) == 3


def test_front_key_ignores_spacing_case_and_compatibility_forms() -> None:
    key = identity.front_key(make_note("ﬁle  Modes"))
    assert identity.front_key(make_note("file modes")) == key
    assert identity.front_key(make_note("file\tmodes\n")) == key
    assert identity.front_key(make_note("file mode")) != key
    assert identity.normalize("  Straße\u00a0A ") == "strasse a"


def test_fresh_guid_is_the_natural_one_when_free() -> None:
    assert fresh_guid("abc", set()) == "abc"
    assert fresh_guid("abc", {"other"}) == "abc"


def test_fresh_guid_is_deterministic_and_free() -> None:
    first = fresh_guid("abc", {"abc"})
    assert first != "abc"
    assert fresh_guid("abc", {"abc"}) == first
    assert fresh_guid("abc", {"abc", "x", "y"}) == first
    second = fresh_guid("abc", {"abc", first})
    assert second not in {"abc", first}
    assert fresh_guid("abc", {first, "abc"}) == second
    assert fresh_guid("abd", {"abd"}) != first  # depends on the natural guid


# --- plan: guids, note ids and modified times from the lock ------------------------------------

NOW = 1_700_000_000


class Builder:
    """Parse Markdown files under tmp_path/notes and plan them against a lock."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "notes"
        self.lock_path = tmp_path / "deck.lock"
        self.note_types = load_note_types()

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def rendered(self, names: list[str], problems: Problems) -> list[RenderedNote]:
        notes: list[Note] = []
        for name in names:
            notes += markdown.parse(self.root / name, self.root, "Deck", problems)
        return pipeline.render_notes(notes, problems)

    def plan(
        self,
        files: dict[str, str],
        old: Lock,
        now: int = NOW,
        problems: Problems | None = None,
        note_types: dict[Kind, NoteType] | None = None,
    ) -> Plan:
        problems = problems or Problems()
        for name, text in files.items():
            self.write(name, text)
        rendered = self.rendered(list(files), problems)
        claimed = claim_guids(rendered, problems)
        return plan(claimed, note_types or self.note_types, old, self.lock_path, now, problems)


@pytest.fixture
def builder(tmp_path: Path) -> Builder:
    return Builder(tmp_path)


THREE = "## One\n\na\n\n## Two\n\nb\n\n## Three\n\nc\n"


def changes_of(result: Plan) -> list[Change]:
    return [note.change for note in result.report.notes]


def test_first_build_adds_every_note(builder: Builder) -> None:
    result = builder.plan({"a.md": THREE}, Lock())
    assert changes_of(result) == [Change.ADDED] * 3
    assert result.report.first_build
    assert result.report.counts() == "3 added, 0 changed, 0 reworded, 0 removed, 0 unchanged"
    assert [n.modified for n in result.notes] == [NOW] * 3
    remainder = result.notes[0].note_id - NOW * 1000  # the deck's own, see below
    assert 0 <= remainder < NOTE_ID_SPACING
    assert [n.note_id for n in result.notes] == [
        NOW * 1000 + remainder,
        NOW * 1000 + remainder + NOTE_ID_SPACING,
        NOW * 1000 + remainder + 2 * NOTE_ID_SPACING,
    ]
    assert [n.guid for n in result.notes] == [identity.guid(n.rendered.note) for n in result.notes]
    assert result.new_guids == {n.guid for n in result.notes}
    assert [e.source for e in result.lock.notes] == ["notes/a.md:1", "notes/a.md:5", "notes/a.md:9"]
    assert [e.title for e in result.lock.notes] == ["One", "Two", "Three"]
    assert set(result.lock.note_types) == {kind.value for kind in Kind}
    assert all(t.modified == NOW for t in result.lock.note_types.values())


def test_unchanged_notes_keep_guid_note_id_and_modified_time(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    second = builder.plan({"a.md": THREE}, first.lock, now=NOW + 500)
    assert changes_of(second) == [Change.UNCHANGED] * 3
    assert not second.report.first_build
    assert [(n.guid, n.note_id, n.modified) for n in second.notes] == [
        (n.guid, n.note_id, n.modified) for n in first.notes
    ]
    assert second.lock == first.lock
    assert second.new_guids == set()
    assert second.note_type_modified == first.note_type_modified


def test_changed_note_moves_strictly_later_even_at_the_same_now(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    edited = THREE.replace("\nb\n", "\nb, edited\n")
    second = builder.plan({"a.md": edited}, first.lock, now=NOW)
    assert changes_of(second) == [Change.UNCHANGED, Change.CHANGED, Change.UNCHANGED]
    assert [n.modified for n in second.notes] == [NOW, NOW + 1, NOW]
    assert [n.note_id for n in second.notes] == [n.note_id for n in first.notes]
    assert [n.guid for n in second.notes] == [n.guid for n in first.notes]
    assert second.new_guids == set()  # changed, not new: no double-contribution check
    # Edited again at the same now: later than the last build's time again.
    third = builder.plan({"a.md": edited.replace("edited", "again")}, second.lock, now=NOW)
    assert [n.modified for n in third.notes] == [NOW, NOW + 2, NOW]


def test_changed_note_with_a_clock_behind_the_lock(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock(), now=NOW)
    second = builder.plan({"a.md": THREE.replace("\nc\n", "\nc2\n")}, first.lock, now=NOW - 9999)
    assert [n.modified for n in second.notes] == [NOW, NOW, NOW + 1]


def test_changed_note_at_a_later_now_takes_now(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    second = builder.plan({"a.md": THREE.replace("\na\n", "\na2\n")}, first.lock, now=NOW + 60)
    assert [n.modified for n in second.notes] == [NOW + 60, NOW, NOW]


def test_new_note_ids_follow_the_lock_at_the_same_now(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    more = THREE + "\n## Four\n\nd\n\n## Five\n\ne\n"
    second = builder.plan({"a.md": more}, first.lock, now=NOW)
    assert changes_of(second)[3:] == [Change.ADDED, Change.ADDED]
    latest = first.notes[2].note_id
    assert [n.note_id for n in second.notes] == [n.note_id for n in first.notes] + [
        latest + NOTE_ID_SPACING,
        latest + 2 * NOTE_ID_SPACING,
    ]
    assert [n.modified for n in second.notes[3:]] == [NOW + 1, NOW + 1]
    assert second.new_guids == {n.guid for n in second.notes[3:]}


def test_new_note_ids_at_a_later_now_start_at_now(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    second = builder.plan({"a.md": THREE + "\n## Four\n\nd\n"}, first.lock, now=NOW + 3600)
    remainder = first.notes[0].note_id % NOTE_ID_SPACING
    assert second.notes[3].note_id == (NOW + 3600) * 1000 + remainder
    assert second.notes[3].modified == NOW + 3600


def test_reworded_front_keeps_its_guid_and_note_id(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    second = builder.plan({"a.md": THREE.replace("## Two", "## Two, reworded")}, first.lock)
    assert changes_of(second) == [Change.UNCHANGED, Change.REWORDED, Change.UNCHANGED]
    assert second.notes[1].guid == first.notes[1].guid
    assert second.notes[1].note_id == first.notes[1].note_id
    assert second.notes[1].guid != identity.guid(
        second.notes[1].rendered.note
    )  # not its natural guid
    assert second.new_guids == {first.notes[1].guid}  # a reword may be a double contribution
    assert second.lock.notes[1].title == "Two, reworded"
    counts = "0 added, 0 changed, 1 reworded, 0 removed, 2 unchanged"
    assert second.report.counts() == counts


def test_edited_back_is_changed_and_edited_front_is_reworded(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    text = THREE.replace("\na\n", "\na2\n").replace("## Three", "## Three?")
    second = builder.plan({"a.md": text}, first.lock, now=NOW + 1)
    assert changes_of(second) == [Change.CHANGED, Change.UNCHANGED, Change.REWORDED]
    lines = second.report.lines(every_note=True)
    assert lines[0] == "changes: 0 added, 1 changed, 1 reworded, 0 removed, 1 unchanged"
    assert lines[1].startswith("  changed ")
    assert lines[2].startswith("  reworded ")


def test_card_moved_to_another_file(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE, "b.md": "## Four\n\nd\n"}, Lock())
    text_a = "## One\n\na\n\n## Three\n\nc\n"
    text_b = "## Four\n\nd\n\n## Two\n\nb\n"
    second = builder.plan({"a.md": text_a, "b.md": text_b}, first.lock)
    moved = second.report.notes[3]
    assert moved.title == "Two"
    assert moved.moved_from == "notes/a.md:5"
    assert moved.change is Change.CHANGED  # the Source field names the file
    assert second.notes[3].guid == first.notes[1].guid
    assert second.report.removed == []


def test_new_note_whose_natural_guid_is_taken_gets_a_fresh_one(builder: Builder) -> None:
    first = builder.plan({"a.md": "## Q1\n\na\n"}, Lock())
    second = builder.plan({"a.md": "## Q2\n\na\n"}, first.lock)  # reworded: keeps Q1's guid
    assert second.notes[0].guid == first.notes[0].guid
    third = builder.plan({"a.md": "## Q2\n\na\n\n## Q1\n\nb\n"}, second.lock)
    assert changes_of(third) == [Change.UNCHANGED, Change.ADDED]
    natural = identity.guid(third.notes[1].rendered.note)
    assert natural == first.notes[0].guid
    assert third.notes[1].guid == fresh_guid(natural, {first.notes[0].guid})
    assert third.notes[1].guid != natural
    assert len({e.guid for e in third.lock.notes}) == 2


def test_removed_notes_are_reported_and_dropped(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE, "b.md": "## Four\n\nd\n"}, Lock())
    second = builder.plan({"a.md": "## One\n\na\n\n## Three\n\nc\n"}, first.lock)
    assert [e.title for e in second.report.removed] == ["Two", "Four"]
    assert [e.title for e in second.lock.notes] == ["One", "Three"]
    assert second.report.counts() == "0 added, 0 changed, 0 reworded, 2 removed, 2 unchanged"
    lines = second.report.lines(every_note=False)
    ids = f"{first.notes[1].note_id},{first.notes[3].note_id}"
    assert lines[-1].endswith(f"find them in the Browse window with: nid:{ids}")


def test_entries_of_a_file_with_errors_are_carried(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE, "b.md": "## Four\n\nd\n"}, Lock())
    problems = Problems()
    # b.md is broken this time (its card is left out); a.md lost card Two for real.
    broken = builder.write("b.md", "## Four\n\nd\n")
    problems.error(Source(broken, 1), "something is wrong here")
    builder.write("a.md", "## One\n\na\n\n## Three\n\nc\n")
    rendered = builder.rendered(["a.md"], problems)
    result = plan(
        claim_guids(rendered, problems),
        builder.note_types,
        first.lock,
        builder.lock_path,
        NOW,
        problems,
    )
    assert [e.title for e in result.report.removed] == ["Two"]
    assert [e.title for e in result.lock.notes] == ["One", "Three", "Four"]
    assert result.lock.notes[2] == first.lock.notes[3]  # carried as it was


def test_copied_notebook_does_not_take_the_cards_of_a_broken_original(builder: Builder) -> None:
    # lesson.ipynb cannot be read this build (bad JSON after a merge, say), and a copy of it
    # sits beside it. The copy's cards must not take over the original's entries: they are
    # carried for the next build, when the original is fixed.
    def cell_note(file: str, number: int) -> Note:
        return make_note(
            f"Question {number}",
            source=Source(builder.root / file, cell=number),
            root=builder.root,
            cell_id=f"cell-{number}",
        )

    problems = Problems()
    original = pipeline.render_notes([cell_note("lesson.ipynb", n) for n in (1, 2)], problems)
    first = plan(
        claim_guids(original, problems),
        builder.note_types,
        Lock(),
        builder.lock_path,
        NOW,
        problems,
    )
    problems.error(Source(builder.root / "lesson.ipynb"), "not valid JSON")
    copy = pipeline.render_notes([cell_note("lesson-copy.ipynb", n) for n in (1, 2)], problems)
    second = plan(
        claim_guids(copy, problems),
        builder.note_types,
        first.lock,
        builder.lock_path,
        NOW + 1,
        problems,
    )
    assert changes_of(second) == [Change.ADDED, Change.ADDED]
    assert {n.guid for n in second.notes}.isdisjoint(n.guid for n in first.notes)
    assert first.lock.notes[0] in second.lock.notes
    assert first.lock.notes[1] in second.lock.notes


def test_kind_change_makes_a_new_note_with_a_warning(builder: Builder) -> None:
    """Anki cannot change a note's type on import: the card becomes a new note (a new
    guid, never its natural one, which the old note holds) and the old one is removed."""
    first = builder.plan({"a.md": "## Q {#q}\n\na\n"}, Lock())
    problems = Problems()
    second = builder.plan({"a.md": "## Q {#q .reverse}\n\na\n"}, first.lock, problems=problems)
    assert second.notes[0].guid != first.notes[0].guid
    assert changes_of(second) == [Change.ADDED]
    assert [e.guid for e in second.report.removed] == [first.notes[0].guid]
    (warning,) = problems.warnings
    assert warning.source.path == builder.root / "a.md"
    assert "note type changed (basic → reversed)" in warning.message
    assert "listed as removed" in warning.message
    assert second.lock.notes[0].kind == "reversed"
    third = builder.plan({"a.md": "## Q {#q .reverse}\n\na\n"}, second.lock)
    assert third.notes[0].guid == second.notes[0].guid, "the new note keeps its guid after"


def test_no_warning_when_the_kind_stays(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    problems = Problems()
    builder.plan({"a.md": THREE.replace("\na\n", "\na2\n")}, first.lock, problems=problems)
    assert problems.items == []


def test_note_type_keeps_its_time_while_its_hash_stays(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    second = builder.plan({"a.md": THREE.replace("\na\n", "\na2\n")}, first.lock, now=NOW + 50)
    assert second.note_type_modified == {kind: NOW for kind in Kind}
    assert second.lock.note_types == first.lock.note_types


def test_note_type_moves_when_its_css_changes(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    types = dict(builder.note_types)
    types[Kind.CLOZE] = replace(types[Kind.CLOZE], css=types[Kind.CLOZE].css + "\n.x {}\n")
    second = builder.plan({"a.md": THREE}, first.lock, now=NOW, note_types=types)
    assert second.note_type_modified[Kind.CLOZE] == NOW + 1  # later than the lock, same now
    assert all(second.note_type_modified[k] == NOW for k in Kind if k is not Kind.CLOZE)
    cloze_before, cloze_after = first.lock.note_types["cloze"], second.lock.note_types["cloze"]
    assert cloze_after.hash != cloze_before.hash
    assert cloze_after.modified == NOW + 1
    assert changes_of(second) == [Change.UNCHANGED] * 3  # the notes themselves are the same


def test_note_type_moves_when_its_id_changes(builder: Builder) -> None:
    first = builder.plan({"a.md": THREE}, Lock())
    old = dict(first.lock.note_types)
    old["basic"] = LockedNoteType(old["basic"].id + 1, old["basic"].hash, old["basic"].modified)
    second = builder.plan({"a.md": THREE}, replace(first.lock, note_types=old), now=NOW + 7)
    assert second.note_type_modified[Kind.BASIC] == NOW + 7
    assert second.note_type_modified[Kind.CLOZE] == NOW


def test_place_never_gives_an_old_card_to_a_card_with_an_id_of_its_own() -> None:
    """A card deleted and replaced at its place by one with a new `{#id}` is a new card."""
    old = [entry("a1"), entry("a2"), entry("a3")]
    replacement = replace(new("x"), explicit_id="brand-new")
    assert guids(match([same(old[0]), replacement, same(old[2])], old)) == ["a1", None, "a3"]


def test_place_never_gives_an_old_card_with_an_id_to_another_card() -> None:
    """A vanished card that had an id (or a cell id) is not reworded into an anonymous one."""
    old = [entry("a1"), entry("a2", explicit_id="kept"), entry("a3")]
    assert guids(match([same(old[0]), new("x"), same(old[2])], old)) == ["a1", None, "a3"]
    old = [entry("c1", "n.ipynb"), entry("c2", "n.ipynb", cell_id="c2"), entry("c3", "n.ipynb")]
    notes = [same(old[0]), new("x", "n.ipynb"), same(old[2])]
    assert guids(match(notes, old)) == ["c1", None, "c3"]


def test_decks_built_in_the_same_second_get_different_note_ids(builder: Builder) -> None:
    """Each deck keeps its own remainder of the note id spacing, so two decks built in one
    run never hand out the same ids (Anki would renumber one deck's notes on import, and
    a later `nid:` search for a removed note would find the other deck's note)."""
    ids = set()
    for name in ("python.lock", "rust.lock", "sql.lock", "git.lock"):
        builder.lock_path = builder.lock_path.with_name(name)
        ids |= {n.note_id for n in builder.plan({"a.md": THREE}, Lock()).notes}
    assert len(ids) == 4 * 3
