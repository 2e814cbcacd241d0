"""Obsidian vaults: embeds found as Obsidian finds them, links as text, highlights,
callouts and comments, checked in a real Anki collection (the HTML of each syntax is
in goldens/obsidian.txt)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run

from anki_tools.render.media import media_name

from anki_collection import AnkiProfile, ShownCard
from conftest import PNG_BYTES, WriteNotes

OTHER_PNG = PNG_BYTES + b"other"  # same name, different file: a different media name
NEAR_PNG = PNG_BYTES + b"near"

CARDS = """\
## Embeds
-
![[photo.png]] ![[photo.png|300]] ![[attachments/photo.png|a photo|40x30]]

## Links and highlights
-
==key idea==, see [[Other note|the other]], [[Note#Heading]] and [[Plain]].
Code keeps them: `[[code]] ==code== ![[photo.png]] %%code%%`

## Callout
-
> [!tip]- Remember *this*
> folded body

> [!Bug] Known
> open box

## Comments
-
shown %%hidden inline%% text

%%
a block comment, with a card in it:

## Hidden card
-
secret
%%
"""


def vault(write_notes: WriteNotes, **notes: str) -> Path:
    """A vault: notes in subfolders, images in attachments/, a second same.png elsewhere."""
    files: dict[str, str | bytes] = {
        "attachments/photo.png": PNG_BYTES,
        "attachments/same.png": PNG_BYTES,
        "other/same.png": OTHER_PNG,
        ".obsidian/photo.png": NEAR_PNG,  # Obsidian's settings folder is no part of the vault
    }
    return write_notes({**files, **notes})


def built(root: Path, anki: AnkiProfile) -> dict[str, ShownCard]:
    result = run("build", str(root), "-o", "out.apkg")
    assert result.exit_code == 0, result.output
    anki.import_deck(Path("out.apkg"))
    return {
        card.fields["Front"].removeprefix("<p>").removesuffix("</p>"): card for card in anki.cards()
    }


@pytest.fixture
def cards(write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile) -> dict[str, ShownCard]:
    return built(vault(write_notes, **{"topics/deep/card.md": CARDS}), anki)


def test_embeds_are_found_by_name_anywhere_in_the_vault(cards, anki: AnkiProfile) -> None:
    name = media_name(PNG_BYTES, ".png")
    assert anki.media_files() == {name: PNG_BYTES}
    answer = cards["Embeds"].answer
    assert f'<img src="{name}" alt="photo.png">' in answer
    assert f'<img src="{name}" alt="photo.png" width="300">' in answer
    assert f'<img src="{name}" alt="a photo" width="40" height="30">' in answer


def test_links_show_as_text_and_highlights_as_mark(cards) -> None:
    answer = cards["Links and highlights"].answer
    assert "<mark>key idea</mark>, see the other, Note &gt; Heading and Plain." in answer
    assert "[[" not in answer.split("<code>")[0]
    assert "<code>[[code]] ==code== ![[photo.png]] %%code%%</code>" in answer


def test_callouts_are_boxes_styled_as_alerts(cards) -> None:
    answer = cards["Callout"].answer
    folded = (
        '<details class="markdown-alert markdown-alert-tip at-callout at-callout-tip">\n'
        '<summary class="markdown-alert-title">Remember <em>this</em></summary>\n'
        "<p>folded body</p>\n</details>"
    )
    assert folded in answer
    assert '<div class="markdown-alert markdown-alert-caution at-callout at-callout-bug">' in answer
    assert '<p class="markdown-alert-title">Known</p>\n<p>open box</p>' in answer


def test_comments_are_dropped_with_the_cards_inside(cards) -> None:
    assert "Hidden card" not in cards
    answer = cards["Comments"].answer
    assert "shown  text" in answer
    assert "hidden" not in answer and "secret" not in answer and "%%" not in answer


def test_the_notes_own_folder_wins_then_the_path_as_written(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    notes = {
        "other/near.md": "## Near\n-\n![[same.png]]\n",
        "topics/far.md": "## Far\n-\n![[attachments/same.png]]\n",
    }
    cards = built(vault(write_notes, **notes), anki)
    assert media_name(OTHER_PNG, ".png") in cards["Near"].answer
    assert media_name(PNG_BYTES, ".png") in cards["Far"].answer


def test_a_file_near_the_note_wins_over_one_near_the_root(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    """A deck config's root is the project: the vault's own image wins over one of the
    same name elsewhere in the project, though that one is fewer folders deep."""
    notes = {
        "vault/topics/a.md": "## Q\n-\n![[pic.png]]\n",
        "vault/attachments/pic.png": PNG_BYTES,
        "docs/pic.png": OTHER_PNG,
    }
    (card,) = built(write_notes(notes), anki).values()
    assert media_name(PNG_BYTES, ".png") in card.answer


def test_two_equally_near_files_of_the_name_are_an_error_naming_both(
    write_notes: WriteNotes, in_tmp: Path
) -> None:
    root = vault(write_notes, **{"topics/a.md": "## Q\n-\ntext\n![[same.png]]\n"})
    result = run("build", str(root), "-o", "out.apkg")
    assert result.exit_code == 1
    assert (
        "notes/topics/a.md:4: image 'same.png' is ambiguous: attachments/same.png and "
        "other/same.png are equally near the note; write the path, as in "
        "![[attachments/same.png]]"
    ) in result.output
    assert not Path("out.apkg").exists()


def test_an_embed_leading_outside_the_root_through_a_symlink_is_refused(
    write_notes: WriteNotes, in_tmp: Path
) -> None:
    outside = in_tmp / "private"
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG_BYTES)
    root = vault(write_notes, **{"a.md": "## Q\n-\n![[secret.png]]\n"})
    os.symlink(outside / "secret.png", root / "attachments" / "secret.png")
    result = run("build", str(root), "-o", "out.apkg")
    assert result.exit_code == 1
    assert f"notes/a.md:3: image 'secret.png' is outside the build root {root}" in result.output


def test_a_missing_embed_is_an_error_with_its_line(write_notes: WriteNotes, in_tmp: Path) -> None:
    root = vault(write_notes, **{"a.md": "## Q\n-\ntext\n\n![[nowhere.png]]\n"})
    result = run("build", str(root), "-o", "out.apkg")
    assert result.exit_code == 1
    assert (
        "notes/a.md:5: image not found: 'nowhere.png' anywhere in the build root" in result.output
    )


def test_a_note_embed_shows_its_name_with_a_warning(
    write_notes: WriteNotes, in_tmp: Path, anki: AnkiProfile
) -> None:
    root = write_notes({"a.md": "## Q\n-\nsee\n![[Other note#Part|the part]]\n"})
    result = run("build", str(root), "-o", "out.apkg")
    assert result.exit_code == 0, result.output
    assert (
        "notes/a.md:4: warning: '![[Other note#Part|the part]]' is not an image: only images are "
        "embedded in cards, so the card shows its name, 'the part'"
    ) in result.output
    anki.import_deck(Path("out.apkg"))
    (card,) = anki.cards()
    assert "<p>see\nthe part</p>" in card.answer
