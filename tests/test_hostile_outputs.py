"""Issue 11, item 4: nothing is written outside the project, nor through a symlink.

A deck config with `output: ../victim/x.apkg` (or an absolute path) overwrote a file
outside the project and wrote a lock beside it; `anki-tools preview notes -o preview`
wrote through a committed `preview/index.html -> ~/.bashrc`. A config's `output` must
resolve inside the project (the folder holding `decks/`), an error at its line
otherwise; `-o` typed by the user may go anywhere. Every file is written by rename, so a
symlink where a file goes is replaced, never written through; one that leads outside the
file's folder is refused before anything is written. The stand-ins for the victims
(`victim/`, `bashrc`) sit in tmp_path, and their bytes must not change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_run import run
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import anki_tools
from anki_tools import pipeline
from anki_tools.errors import OutputError
from anki_tools.render.media import media_name

from conftest import PNG_BYTES

GOOD = "## A good card\n\nIts answer.\n"
VICTIM = b"precious bytes that are not a deck\n"
BASHRC = b"export PATH=$HOME/bin:$PATH  # the user's own shell setup\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project `proj/` (notes and `decks/`) as the working folder, and `victim/x.apkg`
    beside it: a file outside the project that no build may touch."""
    folder = tmp_path / "proj"
    (folder / "notes").mkdir(parents=True)
    (folder / "decks").mkdir()
    (folder / "notes" / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "x.apkg").write_bytes(VICTIM)
    monkeypatch.chdir(folder)
    return folder


def write_config(project: Path, text: str) -> None:
    (project / "decks" / "x.yaml").write_text(f"name: X\nsources: notes\n{text}", encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- a deck config's output stays inside the project ------------------------------------


@pytest.mark.parametrize(
    "output",
    ["../victim/x.apkg", "decks/../../victim/x.apkg", "{victim}/x.apkg"],
    ids=["dot-dot", "dot-dot-inside-first", "absolute"],
)
def test_a_config_output_leaving_the_project_is_an_error_at_its_line(
    project: Path, output: str
) -> None:
    """Nothing is written: the victim keeps its bytes and gets no lock beside it."""
    victim = project.parent / "victim"
    output = output.replace("{victim}", str(victim))
    write_config(project, f"output: {output}\n")
    result = run("build")

    assert result.exit_code == 1
    assert result.stderr == (
        f"decks/x.yaml:3: 'output' must stay inside the project folder {project}: "
        f"'{output}' leads to {victim / 'x.apkg'}\n"
    )
    assert snapshot(victim) == {"x.apkg": VICTIM}


def test_a_config_output_through_a_linked_folder_out_of_the_project_is_an_error(
    project: Path,
) -> None:
    """`output: out/x.apkg` with a committed `out -> ../victim`: resolved, it leaves."""
    (project / "out").symlink_to(project.parent / "victim")
    write_config(project, "output: out/x.apkg\n")
    result = run("build")

    assert result.exit_code == 1
    assert result.stderr.startswith("decks/x.yaml:3: 'output' must stay inside the project")
    assert snapshot(project.parent / "victim") == {"x.apkg": VICTIM}


def test_a_default_output_that_is_a_link_out_of_the_project_is_an_error(project: Path) -> None:
    """Without `output:`, `decks/x.apkg` is the output: a committed link there is refused
    (at the config's first line, as there is no `output` line)."""
    (project / "decks" / "x.apkg").symlink_to(project.parent / "victim" / "x.apkg")
    write_config(project, "")
    result = run("build")

    assert result.exit_code == 1
    assert result.stderr.startswith("decks/x.yaml:1: 'output' must stay inside the project")
    assert snapshot(project.parent / "victim") == {"x.apkg": VICTIM}


def test_a_config_output_with_dot_dot_that_stays_inside_is_built(project: Path) -> None:
    write_config(project, "output: decks/../built/x.apkg\n")
    result = run("build")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "built").iterdir()) == ["x.apkg", "x.lock"]


def test_dash_o_typed_by_the_user_may_go_anywhere(project: Path) -> None:
    """The rule is for configs, which come with others' notes; the user's own -o is his."""
    result = run("build", "notes", "-o", "../elsewhere/mine.apkg")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project.parent / "elsewhere").iterdir()) == [
        "mine.apkg",
        "mine.lock",
    ]


# --- never written through a symlink --------------------------------------------------------


def test_a_deck_that_is_a_link_out_of_its_folder_is_refused(project: Path) -> None:
    """`-o out/x.apkg` where `out/x.apkg -> ../../victim/x.apkg`: refused, nothing written."""
    (project / "out").mkdir()
    (project / "out" / "x.apkg").symlink_to("../../victim/x.apkg")
    result = run("build", "notes", "-o", "out/x.apkg")

    victim = project.parent / "victim" / "x.apkg"
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: out/x.apkg: is a symlink to {victim}, outside out: not writing through it "
        "(remove the link, or name the file it leads to)\n"
    )
    assert snapshot(victim.parent) == {"x.apkg": VICTIM}
    assert sorted(p.name for p in (project / "out").iterdir()) == ["x.apkg"]


def test_a_lock_that_is_a_link_out_is_refused_before_the_deck_is_written(project: Path) -> None:
    """A dangling `out/x.lock -> ../../victim/x.lock` would create the victim's file: it
    is refused, and the deck is not written either (a deck without its lock loses the
    cards' identities)."""
    (project / "out").mkdir()
    (project / "out" / "x.lock").symlink_to("../../victim/x.lock")
    result = run("build", "notes", "-o", "out/x.apkg")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: out/x.lock: is a symlink to ")
    assert snapshot(project.parent / "victim") == {"x.apkg": VICTIM}
    assert not (project / "out" / "x.apkg").exists()


def test_a_link_inside_the_folder_is_replaced_not_written_through(project: Path) -> None:
    """`out/x.apkg -> other.apkg`: the rename puts the deck where the link was; the file
    the link led to keeps its bytes."""
    (project / "out").mkdir()
    (project / "out" / "other.apkg").write_bytes(VICTIM)
    (project / "out" / "x.apkg").symlink_to("other.apkg")
    result = run("build", "notes", "-o", "out/x.apkg")

    assert result.exit_code == 0, result.output
    deck = project / "out" / "x.apkg"
    assert not deck.is_symlink() and deck.read_bytes().startswith(b"PK")
    assert (project / "out" / "other.apkg").read_bytes() == VICTIM


def test_a_config_deck_whose_lock_is_a_link_out_is_refused(project: Path) -> None:
    """The same through a deck config: its output is inside, its lock leads out."""
    (project / "decks" / "x.lock").symlink_to(project.parent / "victim" / "x.lock")
    write_config(project, "")
    result = run("build")

    assert result.exit_code == 1
    assert result.stderr.startswith("decks/x.lock: is a symlink to ")
    assert snapshot(project.parent / "victim") == {"x.apkg": VICTIM}
    assert not (project / "decks" / "x.apkg").exists()


def test_the_api_raises_for_a_deck_that_is_a_link_out(project: Path) -> None:
    """`anki_tools.build` and `export_notebook` raise OutputError with the path."""
    (project / "x.apkg").symlink_to(project.parent / "victim" / "x.apkg")
    with pytest.raises(OutputError) as caught:
        anki_tools.build([Path("notes")], Path("x.apkg"))
    assert str(caught.value).startswith("x.apkg: is a symlink to ")
    assert snapshot(project.parent / "victim") == {"x.apkg": VICTIM}


def test_export_notebook_refuses_a_lock_that_is_a_link_out(project: Path) -> None:
    """`export_notebook()` writes the deck and the lock beside the notebook: a committed
    dangling `lesson.lock -> ../victim/lesson.lock` (a file the build would create) is
    refused, and no deck is written."""
    notebook = new_notebook(
        cells=[
            new_markdown_cell("What is 1 + 1?"),
            new_code_cell("1 + 1", metadata={"tags": ["card"]}),
        ]
    )
    (project / "lesson.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    victim = project.parent / "victim"
    (project / "lesson.lock").symlink_to(victim / "lesson.lock")
    with pytest.raises(OutputError) as caught:
        anki_tools.export_notebook("lesson.ipynb")
    assert str(caught.value).startswith(f"lesson.lock: is a symlink to {victim / 'lesson.lock'}")
    assert snapshot(victim) == {"x.apkg": VICTIM}
    assert not (project / "lesson.apkg").exists()


# --- preview ----------------------------------------------------------------------------------


@pytest.fixture
def bashrc(tmp_path: Path) -> Path:
    """The stand-in for ~/.bashrc."""
    path = tmp_path / "bashrc"
    path.write_bytes(BASHRC)
    return path


def test_preview_never_writes_through_a_committed_index_html_link(
    project: Path, bashrc: Path
) -> None:
    """The issue's attack: `preview/index.html -> ~/.bashrc` is refused, the file keeps
    its bytes, and the link is left as it was."""
    (project / "preview").mkdir()
    (project / "preview" / "index.html").symlink_to(bashrc)
    result = run("preview", "notes", "-o", "preview")

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: preview/index.html: is a symlink to {bashrc}, outside preview: not writing "
        "through it (remove the link, or name the file it leads to)\n"
    )
    assert bashrc.read_bytes() == BASHRC
    assert os.readlink(project / "preview" / "index.html") == str(bashrc)


def test_preview_never_writes_through_a_media_file_link(project: Path, bashrc: Path) -> None:
    """A link named like the image the preview will write (a content hash anyone can
    compute) is refused too."""
    (project / "notes" / "pic.png").write_bytes(PNG_BYTES)
    (project / "notes" / "b.md").write_text("## Picture\n\n![p](pic.png)\n", encoding="utf-8")
    (project / "preview").mkdir()
    name = media_name(PNG_BYTES, ".png")
    (project / "preview" / name).symlink_to(bashrc)
    result = run("preview", "notes", "-o", "preview")

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: preview/{name}: is a symlink to {bashrc}")
    assert bashrc.read_bytes() == BASHRC


def test_preview_replaces_files_by_rename(project: Path, bashrc: Path) -> None:
    """An index.html that is a hard link to another file (a write in place would change
    both) is replaced: the other file keeps its bytes, and no temporary file is left."""
    (project / "preview").mkdir()
    os.link(bashrc, project / "preview" / "index.html")
    result = run("preview", "notes", "-o", "preview")

    assert result.exit_code == 0, result.output
    assert bashrc.read_bytes() == BASHRC
    page = (project / "preview" / "index.html").read_text(encoding="utf-8")
    assert "A good card" in page
    assert [p.name for p in (project / "preview").iterdir()] == ["index.html"]


def test_preview_through_the_api_refuses_a_link_out(project: Path, bashrc: Path) -> None:
    (project / "preview").mkdir()
    (project / "preview" / "index.html").symlink_to(bashrc)
    with pytest.raises(OutputError) as caught:
        pipeline.preview([Path("notes")], Path("preview"))
    assert caught.value.source is not None
    assert caught.value.source.path == Path("preview") / "index.html"
    assert bashrc.read_bytes() == BASHRC
