"""A note type's fields are its meta.yaml's `fields:` list: a templates folder with renamed
fields builds cards whose fields hold the content, and a list that does not fit (wrong
count, a name twice, a name Anki would change, none at all) is an error with its line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from cli_run import run

from anki_tools import build, pipeline
from anki_tools.errors import TemplateError
from anki_tools.notes import Kind
from anki_tools.templates import FIELD_ROLES, field_names, load_note_types
from anki_tools.themes import default_templates_dir

from anki_collection import AnkiProfile
from conftest import FIXED_TIME

RENAMED = {  # the built-in name → ours, for each role
    "Front": "Question",
    "Text": "Passage",
    "Back": "Réponse finale",
    "Back Extra": "Extra",
    "Hint": "Clue",
    "Source": "Origin",
}
NOTES = """\
# Renamed

## What is 6 × 7?

42

-h

The answer to everything.

## Capital of Italy? {.reverse}

Rome

## Sum

The sum is {{c1::addition}}.

-

Extra words.

## Type it

Python's keyword for functions is {{{def}}}.
"""


def copy_templates(folder: Path) -> Path:
    shutil.copytree(default_templates_dir(), folder, ignore=shutil.ignore_patterns("*.py"))
    return folder


def rename_fields(folder: Path) -> Path:
    """A copy of the built-in templates whose fields all have other names, in
    meta.yaml and in every `{{Field}}` of the card templates."""
    copy_templates(folder)
    pattern = re.compile(r"\{\{([#/^]|cloze:)?(" + "|".join(map(re.escape, RENAMED)) + r")\}\}")
    for meta in folder.glob("*/meta.yaml"):
        text = meta.read_text(encoding="utf-8")
        (old,) = re.findall(r"^fields: \[(.*)\]$", text, re.MULTILINE)
        new = ", ".join(RENAMED[name] for name in old.split(", "))
        meta.write_text(text.replace(f"fields: [{old}]", f"fields: [{new}]"), encoding="utf-8")
        for html in meta.parent.glob("*.html"):
            source = html.read_text(encoding="utf-8")
            renamed = pattern.sub(lambda m: f"{{{{{m[1] or ''}{RENAMED[m[2]]}}}}}", source)
            html.write_text(renamed, encoding="utf-8")
    return folder


@pytest.mark.e2e
def test_renamed_fields_hold_the_content_in_anki(
    write_notes, tmp_path: Path, anki: AnkiProfile
) -> None:
    own = rename_fields(tmp_path / "renamed")
    root = write_notes({"r.md": NOTES})
    result = build([root], tmp_path / "r.apkg", timestamp=FIXED_TIME, templates=own)
    assert result.written and not result.problems, result.problems
    anki.import_deck(tmp_path / "r.apkg")
    cards = {(card.note_type, card.ord): card for card in anki.cards()}
    basic = cards["anki-tools Basic", 0]
    assert list(basic.fields) == ["Question", "Réponse finale", "Clue", "Origin"]
    assert basic.fields["Question"] == "<p>What is 6 × 7?</p>"
    assert "What is 6 × 7?" in basic.question and "The answer to everything." in basic.question
    assert "<p>42</p>" in basic.answer and "r.md" in basic.answer  # the Origin footer
    reverse = cards["anki-tools Basic (and reversed card)", 1]
    assert "Rome" in reverse.question and "Capital of Italy?" in reverse.answer
    cloze = cards["anki-tools Cloze", 0]
    assert list(cloze.fields) == ["Passage", "Extra", "Clue", "Origin"]
    assert "The sum is <span" in cloze.question and ">[...]</span>" in cloze.question
    assert ">addition</span>" in cloze.answer and "Extra words." in cloze.answer
    typed = cards["anki-tools Type-in", 0]
    assert 'class="at-typein"' in typed.question and "def" in typed.answer


@pytest.mark.e2e
def test_a_deck_config_builds_with_renamed_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anki: AnkiProfile
) -> None:
    rename_fields(tmp_path / "tpl")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "r.md").write_text(NOTES, encoding="utf-8")
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "r.yaml").write_text("name: R\nsources: [notes/*.md]\n")
    monkeypatch.chdir(tmp_path)
    assert run("build", "--templates", "tpl").exit_code == 0
    anki.import_deck(tmp_path / "decks" / "r.apkg")
    shown = {card.note_type: card for card in anki.cards() if card.ord == 0}
    assert shown["anki-tools Basic"].fields["Réponse finale"] == "<p>42</p>"
    assert "<p>42</p>" in shown["anki-tools Basic"].answer
    assert ">addition</span>" in shown["anki-tools Cloze"].answer


def test_the_renderer_gets_the_note_types_own_field_names() -> None:
    names = field_names()
    assert names == {kind: note_type.fields for kind, note_type in load_note_types().items()}
    assert names[Kind.CLOZE] == ("Text", "Back Extra", "Hint", "Source")
    assert names[Kind.BASIC] == ("Front", "Back", "Hint", "Source")


def set_fields(folder: Path, fields_yaml: str) -> Path:
    """The cloze note type's `fields:` line replaced (or removed, for "")."""
    meta = folder / "cloze" / "meta.yaml"
    text = meta.read_text(encoding="utf-8")
    lines = [fields_yaml] if fields_yaml else []
    meta.write_text(text.replace("fields: [Text, Back Extra, Hint, Source]", "\n".join(lines)))
    return meta


def fields_line(meta: Path) -> int:
    lines = meta.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith("fields:"))


BAD_FIELDS = [
    ("fields: [Text, Back Extra, Hint]", 0, "'fields:' lists 3 fields, but a note type has 4"),
    ("fields: [Text, Extra, Hint, Source, More]", 0, "'fields:' lists 5 fields, but"),
    ("fields: [Text, Hint, hint, Source]", 0, "the field 'hint' is listed twice"),
    ("fields:\n  - Text\n  - Extra\n  - Text\n  - Source", 3, "the field 'Text' is listed twice"),
    ("fields: [Text, 'Back: Extra', Hint, Source]", 0, "Anki would rename the field 'Back: Extra'"),
    (
        "fields: [Text, ' Extra', Hint, Source]",
        0,
        "Anki would rename the field ' Extra' to 'Extra'",
    ),
    ("fields: [Text, '#Extra', Hint, Source]", 0, "Anki would rename the field '#Extra'"),
    ("fields: [Text, 42, Hint, Source]", 0, "a field name must be text, not 42"),
    ("fields: [Text, '', Hint, Source]", 0, "a field name must be text, not ''"),
    ("fields: Text", 0, "'fields:' must be a list of names (a note type has 4 fields"),
    ("fields:", 0, "'fields:' must be a list of names"),
]


@pytest.mark.parametrize(("fields_yaml", "below", "message"), BAD_FIELDS)
def test_a_bad_field_list_is_an_error_at_its_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write_notes,
    fields_yaml: str,
    below: int,
    message: str,
) -> None:
    meta = set_fields(copy_templates(tmp_path / "tpl"), fields_yaml)
    monkeypatch.chdir(tmp_path)
    root = write_notes({"a.md": "## Q\n\nA\n"})
    for command in ("build", "preview"):
        output = ["-o", "out.apkg"] if command == "build" else ["-o", "pv"]
        result = run(command, str(root), *output, "--templates", "tpl")
        assert result.exit_code == 1, result.output
        assert f"Error: tpl/cloze/meta.yaml:{fields_line(meta) + below}: {message}" in result.output
    assert not (tmp_path / "out.apkg").exists()


def test_no_field_list_is_an_error_naming_the_roles(tmp_path: Path) -> None:
    set_fields(copy_templates(tmp_path / "tpl"), "")
    with pytest.raises(TemplateError) as caught:
        field_names(tmp_path / "tpl")
    roles = ", ".join(FIELD_ROLES)
    assert str(caught.value) == (
        f"{tmp_path / 'tpl' / 'cloze' / 'meta.yaml'}:1: no 'fields:' list "
        f"(a note type has 4 fields, in this order: {roles})"
    )


def test_a_deck_config_with_bad_templates_is_that_decks_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = set_fields(copy_templates(tmp_path / "tpl"), "fields: [Text, Hint, Source]")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("## Q\n\nA\n")
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "a.yaml").write_text("name: A\nsources: [notes/*.md]\n")
    monkeypatch.chdir(tmp_path)
    result = run("build", "--templates", "tpl")
    assert result.exit_code == 1
    assert f"tpl/cloze/meta.yaml:{fields_line(meta)}: 'fields:' lists 3 fields" in result.output
    assert not (tmp_path / "decks" / "a.apkg").exists()


def test_invalid_yaml_in_a_note_type_names_its_line(tmp_path: Path) -> None:
    meta = copy_templates(tmp_path / "tpl") / "basic" / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "cards: [\n")
    with pytest.raises(TemplateError, match=r"basic/meta\.yaml:\d+: invalid YAML: ") as caught:
        field_names(tmp_path / "tpl")
    assert caught.value.source is not None and caught.value.source.line is not None


def test_the_preview_shows_renamed_fields(write_notes, tmp_path: Path) -> None:
    own = rename_fields(tmp_path / "renamed")
    root = write_notes({"r.md": NOTES})
    result = pipeline.preview([root], tmp_path / "pv", pipeline.BuildOptions(templates=own))
    assert not result.problems, result.problems
    page = (tmp_path / "pv" / "index.html").read_text(encoding="utf-8")
    data = re.search(r'id="pv-data">(.*?)</script>', page, re.DOTALL)
    assert data is not None
    shown = json.loads(data[1].replace("<\\/", "</"))["cards"]
    cards = {card["note_type"]: card for card in shown}
    assert "<p>42</p>" in cards["anki-tools Basic"]["back"]
    assert "The answer to everything." in cards["anki-tools Basic"]["front"]
    assert ">addition</span>" in cards["anki-tools Cloze"]["back"]
