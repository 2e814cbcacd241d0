"""Issue 11, item 3: nothing is read from outside the build root, nor from what is not a file.

`notes/leak.md -> ~/private/diary.md`, or a linked folder, put a private file into the
deck; `notes/zero.md -> /dev/zero` read until memory ran out. A source (file or folder)
whose links lead outside its build root, or that is not a regular file (a FIFO, a
socket, a device, a symlink loop), is an error with its path, however it was found: a
folder walk, a file named on the command line (its root is its own folder), a deck
config's glob. Bytes read per source are capped per kind; at most cap + 1 are read.
Everything else in the build goes on as for any other bad source.

Runs that could hang or eat memory if a rule broke run in a subprocess with a timeout
and a memory limit, so a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import base64
import json
import os
import re
import resource
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cli_run import run
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import anki_tools
from anki_tools import files, limits
from anki_tools.errors import SourceError

from anki_collection import AnkiProfile
from conftest import PNG_BYTES

DIARY = "## Dear diary\n\nDIARY-SECRET-7731 is my bank PIN.\n"
SECRET = "DIARY-SECRET-7731"
GOOD = "## A good card\n\nIts answer.\n"
TAG_RE = re.compile(r"<[^>]+>")
NOT_REGULAR = "only regular files are read"
# A subprocess that would read /dev/zero or a huge file to its end fails within these.
TIMEOUT_SECONDS = 120
MEMORY_BYTES = 2 * 1024**3


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working folder: `notes/` with one good card, and a private file
    outside it (`private/diary.md`, standing in for ~/private/diary.md)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "diary.md").write_text(DIARY, encoding="utf-8")
    return tmp_path


def run_bounded(*args: str) -> subprocess.CompletedProcess[str]:
    """`anki-tools ARGS` in a process of its own, with a time and a memory limit."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))

    done = subprocess.run(
        [sys.executable, "-m", "anki_tools", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        preexec_fn=limit_memory,
        env={**os.environ, "ANKI_TOOLS_JOBS": "1"},
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line and ": warning: " not in line]


def outside_message(link: str, target: Path, root: Path) -> str:
    return (
        f"{link}: links to {target.resolve()}, outside the build root {root.resolve()}: only "
        "files inside the root are read (to build the file it links to, name that file itself)"
    )


def payloads(apkg: Path) -> bytes:
    with zipfile.ZipFile(apkg) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def shown_text(anki: AnkiProfile) -> str:
    return "\n".join(card.question + card.answer for card in anki.cards())


# --- links that leave the build root -----------------------------------------------------


@pytest.mark.e2e
def test_a_linked_note_leaving_the_root_is_refused_and_not_in_any_card(
    project: Path, anki: AnkiProfile
) -> None:
    """The issue's attack: the link is an error with its path; with --keep-going the good
    card is built, and no card in a real collection shows the private file's text."""
    (project / "notes" / "leak.md").symlink_to(project / "private" / "diary.md")
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1, result.output
    assert error_lines(result.stderr) == [
        outside_message("notes/leak.md", project / "private" / "diary.md", project / "notes")
    ]
    assert SECRET.encode() not in payloads(project / "out.apkg")
    anki.import_deck(project / "out.apkg")
    assert [TAG_RE.sub("", card.question).strip() for card in anki.cards()] == ["A good card"]
    assert SECRET not in shown_text(anki)


def test_without_keep_going_a_leaking_link_stops_the_build(project: Path) -> None:
    """It is an error like any other: nothing is written."""
    (project / "notes" / "leak.md").symlink_to(project / "private" / "diary.md")
    result = run("build", "notes", "-o", "out.apkg")
    assert result.exit_code == 1
    assert "notes/leak.md: links to" in result.stderr
    assert not (project / "out.apkg").exists()


def test_a_linked_folder_leaving_the_root_is_refused_not_entered(project: Path) -> None:
    """A folder link is named itself; none of the files behind it is read."""
    (project / "notes" / "linked").symlink_to(project / "private")
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        outside_message("notes/linked", project / "private", project / "notes")
    ]
    assert SECRET.encode() not in payloads(project / "out.apkg")


def test_a_link_deep_in_the_tree_and_a_dangling_one_leaving_the_root_are_refused(
    project: Path,
) -> None:
    """Links in subfolders count too, and a link to nothing outside is still outside."""
    (project / "notes" / "sub").mkdir()
    (project / "notes" / "sub" / "leak.md").symlink_to("../../private/diary.md")
    (project / "notes" / "gone.md").symlink_to(project / "private" / "missing.md")
    result = run("check", "notes")

    assert result.exit_code == 1
    assert sorted(error_lines(result.stderr)) == [
        outside_message("notes/gone.md", project / "private" / "missing.md", project / "notes"),
        outside_message("notes/sub/leak.md", project / "private" / "diary.md", project / "notes"),
    ]


def test_a_named_file_that_is_a_link_out_of_its_folder_is_refused_too(project: Path) -> None:
    """A file named on the command line has its own folder as its root, and the same rule:
    `anki-tools build notes/*.md` names every file a shared folder holds, links and all.
    The file the link leads to, named itself, builds."""
    (project / "notes" / "leak.md").symlink_to(project / "private" / "diary.md")
    result = run("build", "notes/leak.md", "-o", "out.apkg")
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        outside_message("notes/leak.md", project / "private" / "diary.md", project / "notes")
    ]

    direct = run("build", "private/diary.md", "-o", "diary.apkg")
    assert direct.exit_code == 0, direct.output
    assert SECRET.encode() in payloads(project / "diary.apkg")


def test_the_api_reports_a_leaking_link_in_the_result(project: Path) -> None:
    """`anki_tools.build` collects the problem; it does not raise."""
    (project / "notes" / "leak.md").symlink_to(project / "private" / "diary.md")
    result = anki_tools.build([Path("notes")], Path("out.apkg"), keep_going=True)

    assert [str(problem) for problem in result.errors] == [
        outside_message("notes/leak.md", project / "private" / "diary.md", project / "notes")
    ]
    assert result.notes == 1
    assert SECRET.encode() not in payloads(project / "out.apkg")


# --- links that stay inside ----------------------------------------------------------------


def test_links_inside_the_root_are_followed_once_and_a_link_up_is_no_loop(
    project: Path,
) -> None:
    """A linked folder inside the root is walked (its real folder once, however many links
    reach it), a linked note inside is read once, and `sub/up -> ..` does not loop."""
    archive = project / "notes" / ".archive"  # hidden: reached only through the link
    archive.mkdir()
    (archive / "old.md").write_text("## Old card\n\nOld answer.\n", encoding="utf-8")
    (project / "notes" / "current").symlink_to(".archive")
    (project / "notes" / "again").symlink_to(".archive")
    (project / "notes" / "alias.md").symlink_to("good.md")
    (project / "notes" / "sub").mkdir()
    (project / "notes" / "sub" / "up").symlink_to("..")
    result = run("check", "notes")

    assert result.exit_code == 0, result.output
    assert result.stdout == "2 notes, 2 cards, 0 media\n"


# --- what is not a regular file ------------------------------------------------------------


def test_a_fifo_is_refused_without_waiting_for_a_writer(project: Path) -> None:
    """Opening a FIFO for reading waits for a writer: the build must not."""
    os.mkfifo(project / "notes" / "pipe.md")
    done = run_bounded("build", "notes", "-o", "out.apkg", "--keep-going")

    assert done.returncode == 1, done.stderr
    assert error_lines(done.stderr) == [
        f"notes/pipe.md: not a regular file but a FIFO (named pipe): {NOT_REGULAR}"
    ]
    assert (project / "out.apkg").exists(), "the rest of the build goes on"


def test_a_socket_is_refused(project: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind("notes/sock.md")  # relative: socket paths are short
        result = run("check", "notes")
    finally:
        server.close()
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"notes/sock.md: not a regular file but a socket: {NOT_REGULAR}"
    ]


def test_a_link_to_dev_zero_is_refused_without_reading_it(project: Path) -> None:
    """The issue's `notes/zero.md -> /dev/zero` read until memory ran out."""
    (project / "notes" / "zero.md").symlink_to("/dev/zero")
    done = run_bounded("build", "notes", "-o", "out.apkg", "--keep-going")

    assert done.returncode == 1, done.stderr
    assert error_lines(done.stderr) == [
        outside_message("notes/zero.md", Path("/dev/zero"), project / "notes")
    ]


def test_a_device_is_refused_before_it_is_read() -> None:
    """/dev/zero itself (as inside a root that holds it): a device, never read."""
    with pytest.raises(SourceError) as caught:
        files.read_regular(Path("/dev/zero"), limits.MARKDOWN_MAX_BYTES, "Markdown notes")
    assert caught.value.message == f"not a regular file but a device: {NOT_REGULAR}"


@pytest.mark.parametrize(
    "links",
    [{"loop.md": "loop.md"}, {"a.md": "b.md", "b.md": "a.md"}],
    ids=["to-itself", "a-to-b-to-a"],
)
def test_a_symlink_loop_is_an_error_with_its_path(project: Path, links: dict[str, str]) -> None:
    for name, target in links.items():
        (project / "notes" / name).symlink_to(target)
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1, result.output
    message = "a symlink loop: the link leads back to itself, there is no file to read"
    assert error_lines(result.stderr) == [f"notes/{name}: {message}" for name in sorted(links)]
    assert (project / "out.apkg").exists()


# --- deck configs --------------------------------------------------------------------------


def write_config(project: Path, sources: str) -> Path:
    (project / "decks").mkdir(parents=True, exist_ok=True)
    path = project / "decks" / "shared.yaml"
    path.write_text(f"name: Shared\nsources: {sources}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("sources", ["notes/*.md", "'**/*.md'", "notes", "notes/leak.md"])
def test_a_deck_configs_glob_matching_a_link_out_of_the_project_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sources: str
) -> None:
    """The project folder is the build root: a link out of it is refused whatever glob or
    folder brings it."""
    project = tmp_path / "proj"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "diary.md").write_text(DIARY, encoding="utf-8")
    (project / "notes" / "leak.md").symlink_to(tmp_path / "diary.md")
    write_config(project, sources)
    monkeypatch.chdir(project)
    result = run("check")

    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        outside_message("notes/leak.md", tmp_path / "diary.md", project)
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("sources", ["notes/*/*.md", "'notes/*'", "notes"])
def test_a_deck_configs_glob_through_a_linked_folder_out_of_the_project_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anki: AnkiProfile, sources: str
) -> None:
    """A glob that walks through a folder link (`notes/*/*.md`), matches it (`notes/*`) or
    a folder holding it: refused, and the built deck's cards do not show the file."""
    project = tmp_path / "proj"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "good.md").write_text(GOOD, encoding="utf-8")
    (project / "notes" / "inside").mkdir()
    (project / "notes" / "inside" / "kept.md").write_text(GOOD.replace("good", "kept"))
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "diary.md").write_text(DIARY, encoding="utf-8")
    (project / "notes" / "linked").symlink_to(tmp_path / "private")
    write_config(project, sources)
    monkeypatch.chdir(project)
    result = run("build", "--keep-going")

    assert result.exit_code == 1
    refused = "notes/linked/diary.md" if sources == "notes/*/*.md" else "notes/linked"
    target = tmp_path / "private" / ("diary.md" if refused.endswith(".md") else "")
    assert error_lines(result.stderr) == [outside_message(refused, target, project)]
    anki.import_deck(project / "decks" / "shared.apkg")
    assert SECRET not in shown_text(anki)
    assert "A kept card" in shown_text(anki)


def test_a_deck_config_follows_a_linked_folder_inside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`notes/common -> ../common` stays in the project: its notes are built, once."""
    project = tmp_path / "proj"
    (project / "notes").mkdir(parents=True)
    (project / "common").mkdir()
    (project / "common" / "c.md").write_text(GOOD, encoding="utf-8")
    (project / "notes" / "common").symlink_to("../common")
    write_config(project, "[notes, common]")
    monkeypatch.chdir(project)
    result = run("check")

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("1 note, 1 card, 0 media\n")


def test_a_deck_config_naming_a_fifo_or_a_loop_says_what_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain paths in `sources` that are no file are errors, not 'matches no notes'."""
    project = tmp_path / "proj"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "good.md").write_text(GOOD, encoding="utf-8")
    os.mkfifo(project / "notes" / "pipe.md")
    (project / "notes" / "loop.md").symlink_to("loop.md")
    write_config(project, "[notes/good.md, notes/pipe.md, notes/loop.md]")
    monkeypatch.chdir(project)
    done = run_bounded("check")

    assert done.returncode == 1, done.stderr
    assert error_lines(done.stderr) == [
        f"notes/pipe.md: not a regular file but a FIFO (named pipe): {NOT_REGULAR}",
        "notes/loop.md: a symlink loop: the link leads back to itself, there is no file to read",
    ]


# --- size caps, per kind ---------------------------------------------------------------------


def test_a_markdown_note_over_the_cap_is_refused_and_the_rest_built(project: Path) -> None:
    """The message names the size and the Markdown limit; the good card is still built."""
    big = project / "notes" / "big.md"
    big.write_text("## Q\n\n" + "x" * (limits.MARKDOWN_MAX_BYTES - 5), encoding="utf-8")
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert result.exit_code == 1
    assert big.stat().st_size == limits.MARKDOWN_MAX_BYTES + 1
    assert error_lines(result.stderr) == [
        "notes/big.md: file too large (over 2 MB; the limit for Markdown notes is 2 MB)"
    ]
    assert (project / "out.apkg").exists()


def test_a_huge_sparse_note_is_refused_without_being_read(project: Path) -> None:
    """A 16 GB file (sparse: no disk used) is refused within the time and memory limits."""
    with (project / "notes" / "huge.md").open("wb") as file:
        file.truncate(16 * 1024**3)
    done = run_bounded("check", "notes")

    assert done.returncode == 1
    assert error_lines(done.stderr) == [
        "notes/huge.md: file too large (16384 MB; the limit for Markdown notes is 2 MB)"
    ]


def test_the_cap_is_exact_at_the_limit(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`limit` bytes are read; one more is refused (the limit read at build time)."""
    monkeypatch.setattr(limits, "MARKDOWN_MAX_BYTES", 1000)
    note = "## Q\n\nA\n"
    (project / "notes" / "at.md").write_text(note + "x" * (1000 - len(note)), encoding="utf-8")
    (project / "notes" / "over.md").write_text(note + "x" * (1001 - len(note)), encoding="utf-8")
    result = anki_tools.build([Path("notes")], None)

    assert [str(problem) for problem in result.errors] == [
        "notes/over.md: file too large (1001 bytes; the limit for Markdown notes is 1000 bytes)"
    ]
    assert result.notes == 2  # good.md and at.md


@pytest.mark.e2e
def test_a_notebook_is_allowed_far_more_than_a_note(project: Path, anki: AnkiProfile) -> None:
    """A notebook with a real-sized image output (bigger than the Markdown cap) builds and
    its image reaches Anki; one over the notebook cap is refused with the notebook limit."""
    image = PNG_BYTES + b"\0" * (limits.MARKDOWN_MAX_BYTES + 1)
    notebook = new_notebook(
        cells=[
            new_markdown_cell("What does the plot show?"),
            new_code_cell(
                "plot()",
                metadata={"tags": ["card"]},
                outputs=[
                    new_output("display_data", {"image/png": base64.b64encode(image).decode()})
                ],
            ),
        ]
    )
    (project / "notes" / "plot.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    with (project / "notes" / "huge.ipynb").open("wb") as file:
        file.truncate(limits.NOTEBOOK_MAX_BYTES + 1)
    result = run("build", "notes", "-o", "out.apkg", "--keep-going")

    assert error_lines(result.stderr) == [
        "notes/huge.ipynb: file too large (over 64 MB; the limit for notebooks is 64 MB)"
    ]
    anki.import_deck(project / "out.apkg")
    media = Path(anki.col.media.dir())
    assert [path.read_bytes() == image for path in media.iterdir()] == [True]


def test_a_deck_config_over_its_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "proj"
    config = write_config(project, "notes")
    with config.open("a", encoding="utf-8") as file:
        file.write("#" * limits.DECK_CONFIG_MAX_BYTES + "\n")
    monkeypatch.chdir(project)
    result = run("check")

    assert result.exit_code == 1
    assert result.stderr == (
        "decks/shared.yaml: file too large (over 256 kB; the limit for deck configs is 256 kB)\n"
    )
