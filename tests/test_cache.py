"""The render cache: whatever changes, a build through the cache writes the very bytes a
build without it writes; broken entries are misses; warnings come back as they were;
the cache stays under its size cap."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from anki_tools import cache, cache_codec, config, pipeline, render_cache, workers
from anki_tools.cli import main
from anki_tools.notes import ReadOptions
from anki_tools.pipeline import BuildOptions
from anki_tools.result import BuildResult
from anki_tools.syntax import engine
from anki_tools.themes import default_templates_dir

from conftest import FIXED_TIME, PNG_BYTES, WriteNotes

PYTHON = """\
# Python

## What does `len` return? {#len}

The number of items.

## What is a tuple?

An immutable sequence. ![](pic.png)

## A loop

```python
for item in items:
    print(item)
```

### The cloze

A {{c1::list}} is mutable.
"""
OTHER_PNG = PNG_BYTES + b"\0"  # other bytes: another media name


class Twins:
    """The same sources built twice, into two decks: through the cache and without it."""

    def __init__(self, notes: Path, tmp_path: Path) -> None:
        self.notes = notes
        self.outputs = {
            True: tmp_path / "cached" / "deck.apkg",
            False: tmp_path / "fresh" / "deck.apkg",
        }
        for output in self.outputs.values():
            output.parent.mkdir()
        self.options = BuildOptions(timestamp=FIXED_TIME)

    def build(self) -> dict[bool, BuildResult]:
        results = {}
        for use_cache, output in self.outputs.items():
            options = replace(self.options, output=output, cache=use_cache)
            results[use_cache] = pipeline.build_paths([self.notes], options)
            assert results[use_cache].written, results[use_cache]
        return results

    def decks(self) -> dict[bool, bytes]:
        return {use_cache: path.read_bytes() for use_cache, path in self.outputs.items()}


@pytest.fixture
def twins(write_notes: WriteNotes, tmp_path: Path) -> Twins:
    notes = write_notes({"python.md": PYTHON, "pic.png": PNG_BYTES, "more.md": "## Q?\n\nA.\n"})
    return Twins(notes, tmp_path)


def own_templates(twins: Twins, tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), folder, ignore=shutil.ignore_patterns("__*"))
    twins.options = replace(twins.options, templates=folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def change_card(twins: Twins, tmp_path: Path) -> None:
    edit(twins.notes / "python.md", "The number of items.", "How many items it holds.")


def change_image(twins: Twins, tmp_path: Path) -> None:
    (twins.notes / "pic.png").write_bytes(OTHER_PNG)


def change_template(twins: Twins, tmp_path: Path) -> None:
    folder = own_templates(twins, tmp_path)
    twins.build()  # with the copy as it came
    edit(folder / "basic" / "front.html", "{{", "<p>Question</p>{{")


def change_style_css(twins: Twins, tmp_path: Path) -> None:
    folder = own_templates(twins, tmp_path)
    twins.build()
    (folder / "style.css").write_text("\n.card { color: red; }\n", "utf-8")


def change_pygments_style(twins: Twins, tmp_path: Path) -> None:
    folder = own_templates(twins, tmp_path)
    twins.build()
    edit(folder / "themes" / "default.yaml", "code_light: default", "code_light: monokai")


def change_theme(twins: Twins, tmp_path: Path) -> None:
    twins.options = replace(twins.options, theme="paper")


def change_field_names(twins: Twins, tmp_path: Path) -> None:
    folder = own_templates(twins, tmp_path)
    twins.build()
    meta = folder / "basic" / "meta.yaml"
    text = meta.read_text("utf-8")
    assert "Front" in text
    meta.write_text(text.replace("Front", "Question"), "utf-8")
    for side in ("front.html", "back.html"):
        path = folder / "basic" / side
        path.write_text(path.read_text("utf-8").replace("{{Front}}", "{{Question}}"), "utf-8")


def change_deck(twins: Twins, tmp_path: Path) -> None:
    twins.options = replace(twins.options, deck="Other")


def change_card_level(twins: Twins, tmp_path: Path) -> None:
    twins.options = replace(twins.options, read=ReadOptions(card_level=3))


def change_lock(twins: Twins, tmp_path: Path) -> None:
    """A teammate's lock (git pull): another modified time for a card."""
    for output in twins.outputs.values():
        edit(
            output.with_suffix(".lock"), f'"modified": {int(FIXED_TIME)}', '"modified": 1600000000'
        )


CHANGES: list[Callable[[Twins, Path], None]] = [
    change_card,
    change_image,
    change_template,
    change_style_css,
    change_pygments_style,
    change_theme,
    change_field_names,
    change_deck,
    change_card_level,
    change_lock,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_every_change_shows_in_the_next_build(
    twins: Twins, tmp_path: Path, change: Callable[[Twins, Path], None]
) -> None:
    twins.build()
    before = twins.decks()
    assert before[True] == before[False]
    change(twins, tmp_path)
    results = twins.build()
    after = twins.decks()
    assert not results[True].up_to_date
    assert after[True] == after[False]
    assert after[True] != before[True]


def test_an_unchanged_build_through_the_cache_is_the_same_deck(twins: Twins) -> None:
    twins.build()
    for output in twins.outputs.values():
        output.unlink()  # the manifest is not enough: the cache gives the notes
    twins.build()
    decks = twins.decks()
    assert decks[True] == decks[False]


def test_an_image_found_by_name_elsewhere_is_checked_again(
    write_notes: WriteNotes, tmp_path: Path
) -> None:
    """`![[pic.png]]` finds the nearest file of that name: a nearer one, added later, wins."""
    notes = write_notes({"sub/card.md": "## Pic?\n\n![[pic.png]]\n", "pic.png": PNG_BYTES})
    twins = Twins(notes, tmp_path)
    twins.build()
    (notes / "sub" / "pic.png").write_bytes(OTHER_PNG)
    twins.build()
    decks = twins.decks()
    assert decks[True] == decks[False]


def entries(folder: Path) -> list[Path]:
    return sorted((folder / cache.RENDER).rglob("*.json"))


def check(*args: str) -> tuple[str, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.stdout, result.stderr


WARNED = "## Code\n\n```pyhton\nx = 1\n```\n\n## Far\n\n![](https://example.com/a.png)\n"


def test_warnings_come_back_from_the_cache_as_rendered(
    write_notes: WriteNotes, cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_notes({"warned.md": WARNED})
    fresh = check("notes", "--no-cache")
    assert "warning" in fresh[1]
    assert not entries(cache_folder)
    assert check("notes") == fresh  # renders and stores
    assert len(entries(cache_folder)) == 1
    assert check("notes") == fresh  # from the cache


def test_an_entry_keeps_the_html_not_the_markdown_of_the_back(
    write_notes: WriteNotes, cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a rendered note keeps (`notes.after_rendering`): the front's Markdown, which
    identity reads, and the fields' HTML; the back's Markdown is not stored again."""
    monkeypatch.chdir(tmp_path)
    write_notes({"one.md": "## Front *words*\n\nThe *back words*.\n"})
    fresh = check("notes")
    (entry,) = entries(cache_folder)
    data = entry.read_bytes()
    assert b"Front *words*" in data and b"<em>back words</em>" in data
    assert b"*back words*" not in data
    assert check("notes") == fresh  # and it is a good entry


def tamper(path: Path) -> None:
    """Change what the entry says a card looks like, leaving it valid."""
    _, work = cache_codec.decode(path.read_bytes(), path.stem)
    stored = work({})
    rendered = stored.rendered[0]
    fields = {**rendered.fields, "Back": "<p>from the cache</p>"}
    changed = replace(stored, rendered=[replace(rendered, fields=fields)])
    path.write_bytes(cache_codec.encode(changed, path.stem))


def test_a_build_from_the_cache_parses_no_markdown(
    write_notes: WriteNotes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file from the cache: nothing is parsed again, not even to count the cards of
    a cloze note (the count comes with the rendered note)."""
    notes = write_notes(
        {"n.md": "## The {{c1::list}} and the {{c2::tuple}}\n\nBack.\n\n## Q?\n\nA.\n"}
    )
    options = BuildOptions(output=tmp_path / "deck.apkg", timestamp=FIXED_TIME)
    first = pipeline.build_paths([notes], options)
    assert (first.notes, first.cards) == (2, 3)
    (tmp_path / "deck.apkg").unlink()  # not up to date: built again, from the cache

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed Markdown in a build from the cache")

    monkeypatch.setattr(engine, "parse", no_parsing)
    again = pipeline.build_paths([notes], options)
    assert again.written and (again.notes, again.cards) == (2, 3)


@pytest.mark.parametrize("ahead", [1, render_cache.DECODED_AHEAD])
def test_cached_files_after_a_rendering_one_are_decoded_meanwhile(
    write_notes: WriteNotes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: int
) -> None:
    """While the first file (edited) renders, the entries after it are decoded instead of
    waited behind it, at most `DECODED_AHEAD` of them; the work still comes in file order,
    an entry found unusable ahead of its turn (its image changed) is rendered at its turn,
    and the deck is the bytes of a build without the cache."""
    files = {f"n{number}.md": f"## Q{number}?\n\nA{number}.\n" for number in range(5)}
    files["n3.md"] = "## Q3?\n\n![](pic.png)\n"
    notes = write_notes({**files, "pic.png": PNG_BYTES})
    twins = Twins(notes, tmp_path)
    twins.build()
    edit(notes / "n0.md", "A0.", "A0, edited.")
    (notes / "pic.png").write_bytes(OTHER_PNG)
    events: list[str] = []
    load, render_files = render_cache.RenderCache.load, workers.render_files

    def logged_load(store: render_cache.RenderCache, source: Any, *args: Any) -> Any:
        events.append(f"load {source[0].name}")
        return load(store, source, *args)

    def logged_render_files(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for work in render_files(*args, **kwargs):
            events.append("rendered")
            yield work

    monkeypatch.setattr(render_cache, "DECODED_AHEAD", ahead)
    monkeypatch.setattr(render_cache.RenderCache, "load", logged_load)
    monkeypatch.setattr(render_cache.workers, "render_files", logged_render_files)
    cached = pipeline.build_paths([notes], replace(twins.options, output=twins.outputs[True]))
    loads = ["load n1.md", "load n2.md", "load n3.md", "load n4.md"]
    assert events == [*loads[:ahead], "rendered", *loads[ahead:]]
    monkeypatch.setattr(render_cache.RenderCache, "load", load)  # not the one below
    monkeypatch.setattr(render_cache.workers, "render_files", render_files)
    fresh = pipeline.build_paths([notes], replace(twins.options, output=twins.outputs[False]))
    assert cached.problems == fresh.problems and cached.written and fresh.written
    decks = twins.decks()
    assert decks[True] == decks[False]


def test_a_check_reads_the_cache(
    write_notes: WriteNotes, cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen by tampering with the entry (which the cache trusts: it is the user's own)."""
    monkeypatch.chdir(tmp_path)
    write_notes({"one.md": "## Q?\n\nA.\n"})
    check("notes")
    (entry,) = entries(cache_folder)
    tamper(entry)
    result = pipeline.build_paths([Path("notes")], BuildOptions())
    assert result.notes == 1
    preview = tmp_path / "preview"
    pipeline.preview([Path("notes")], preview)
    assert "from the cache" in (preview / "index.html").read_text("utf-8")
    pipeline.preview([Path("notes")], preview, BuildOptions(cache=False))
    assert "from the cache" not in (preview / "index.html").read_text("utf-8")


FORMAT_FIELD = f'"format":{cache_codec.FORMAT}'.encode()
BROKEN = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: os.urandom(64),
    "other format": lambda data: data.replace(FORMAT_FIELD, b'"format":99', 1),
    "fields cut short": lambda data: data[:-3],
    "fields too long": lambda data: data + b"<p>",
    "wrong types": lambda data: data.replace(b'"parsed":', b'"parsed":"x","p":', 1),
    "not a list": lambda data: b'{"format": 1, "key": "k", "notes": 3}',
    "a NUL in an image path": lambda data: data.replace(
        b'"reads":[', b'"reads":[["a\\u0000","b","c",null],', 1
    ),
    # A note's content hash, which decides whether the lock sees it as changed.
    "a content hash that is a number": lambda data: re.sub(
        rb',\[(\d+),"[0-9a-f]{16}"\],', rb",[\1,12345],", data, count=1
    ),
    "a content hash of three parts": lambda data: re.sub(
        rb',\[(\d+),("[0-9a-f]{16}")\],', rb",[\1,\2,3],", data, count=1
    ),
    # How many cards a note makes (the summary's count).
    "no cards": lambda data: re.sub(rb'("[0-9a-f]{16}"\]),1\]', rb"\1,0]", data, count=1),
    "a card count that is text": lambda data: re.sub(
        rb'("[0-9a-f]{16}"\]),1\]', rb'\1,"1"]', data, count=1
    ),
}


@pytest.mark.parametrize("damage", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_entry_is_ignored_and_rebuilt(
    twins: Twins, cache_folder: Path, damage: Callable[[bytes], bytes]
) -> None:
    first = twins.build()
    good = twins.decks()
    stored = {path: path.read_bytes() for path in entries(cache_folder)}
    for path, data in stored.items():
        assert FORMAT_FIELD in data
        damaged = damage(data)
        assert damaged != data  # each damage finds what it breaks
        path.write_bytes(damaged)
    for output in twins.outputs.values():
        output.unlink()
    again = twins.build()
    assert twins.decks() == good
    assert (again[True].notes, again[True].cards) == (first[True].notes, first[True].cards)
    assert {path: path.read_bytes() for path in stored} == stored  # a miss, written again
    for output in twins.outputs.values():
        output.unlink()
    twins.build()  # the entries were written again
    assert twins.decks() == good


def test_the_cache_stays_under_its_cap(
    write_notes: WriteNotes, cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_notes({f"n{number}.md": f"## Q{number}?\n\n{'word ' * 200}\n" for number in range(20)})
    check("notes")
    one_entry = max(path.stat().st_size for path in entries(cache_folder))
    cache.clear(cache_folder)
    monkeypatch.setenv(cache.MAX_SIZE_ENV, str(5.5 * one_entry / 1024 / 1024))
    check("notes")
    count, size = cache.size(cache_folder / cache.RENDER)
    assert count == 5
    assert size <= 5.5 * one_entry


def six_entries(folder: Path) -> list[Path]:
    """Six entries of 100 bytes in `folder`, the first the oldest."""
    store = cache.EntryStore(folder)
    keys = [f"{number:02d}" + "0" * 62 for number in range(6)]
    for age, key in enumerate(keys):
        store.write(key, b"x" * 100)
        os.utime(store.path(key), ns=(age * 10**9, age * 10**9))
    return [store.path(key) for key in keys]


def test_a_build_that_wrote_a_little_does_not_list_the_cache(tmp_path: Path) -> None:
    """The size the last trim left, plus what builds wrote since, decides whether the
    entries are listed: trusting the record, a build under the cap leaves them be."""
    paths = six_entries(tmp_path / cache.RENDER)
    record = tmp_path / cache.SIZE_RECORD
    cache.trim_when_due(tmp_path / cache.RENDER, 1000, written=600)  # no record: listed
    assert json.loads(record.read_text())["bytes"] == 600
    store = cache.EntryStore(tmp_path / cache.RENDER)
    store.write("ff" + "0" * 62, b"x" * 100)  # unrecorded: the folder holds 700 bytes
    paths.append(store.path("ff" + "0" * 62))
    cache.trim_when_due(tmp_path / cache.RENDER, 650, written=40)  # 640 by the record
    assert all(path.exists() for path in paths)
    assert json.loads(record.read_text())["bytes"] == 640
    cache.trim_when_due(tmp_path / cache.RENDER, 650, written=20)  # 660: listed, trimmed
    assert [path.exists() for path in paths] == [False, True, True, True, True, True, True]
    assert json.loads(record.read_text())["bytes"] == 600


@pytest.mark.parametrize(
    "record",
    [
        b"",  # cut short
        b"[]",
        b'{"bytes": "many", "trimmed": 1}',
        json.dumps({"bytes": 0, "trimmed": time.time() - 2 * 24 * 3600}).encode(),  # old
        json.dumps({"bytes": 0, "trimmed": time.time() + 3600}).encode(),  # from the future
    ],
)
def test_a_record_that_cannot_be_trusted_trims(tmp_path: Path, record: bytes) -> None:
    paths = six_entries(tmp_path / cache.RENDER)
    (tmp_path / cache.SIZE_RECORD).write_bytes(record)
    cache.trim_when_due(tmp_path / cache.RENDER, 300, written=0)
    assert [path.exists() for path in paths] == [False, False, False, True, True, True]


def test_trimming_removes_the_least_recently_used(tmp_path: Path) -> None:
    store = cache.EntryStore(tmp_path)
    keys = [f"{number:02d}" + "0" * 62 for number in range(6)]
    for age, key in enumerate(keys):
        store.write(key, b"x" * 100)
        os.utime(store.path(key), ns=(age * 10**9, age * 10**9))
    store.read(keys[0])  # used just now: the newest
    assert cache.trim(tmp_path, 300) == 3
    assert [store.path(key).exists() for key in keys] == [True, False, False, False, True, True]


def test_the_cache_command_shows_and_clears_it(
    write_notes: WriteNotes, cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_notes({"one.md": "## Q?\n\nA.\n"})
    check("notes")
    shown = CliRunner().invoke(main, ["cache"])
    assert shown.exit_code == 0
    assert shown.stdout.startswith(f"{cache_folder}: 1 entries")
    cleared = CliRunner().invoke(main, ["cache", "clear"])
    assert cleared.stdout == f"{cache_folder}: removed 1 files\n"
    assert not entries(cache_folder)


def test_the_cache_folder_follows_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    monkeypatch.setattr("sys.platform", "linux")
    assert cache.cache_folder() == Path("/somewhere/anki-tools")
    monkeypatch.setattr("sys.platform", "darwin")
    assert cache.cache_folder() == Path.home() / "Library" / "Caches" / "anki-tools"
    monkeypatch.setattr("sys.platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", "/local")
    assert cache.cache_folder() == Path("/local/anki-tools/Cache")


def test_an_unwritable_cache_folder_does_not_stop_a_build(
    write_notes: WriteNotes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", "utf-8")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))
    notes = write_notes({"one.md": "## Q?\n\nA.\n"})
    result = pipeline.build_paths([notes], BuildOptions(output=tmp_path / "d.apkg"))
    assert result.written and not result.problems


def test_a_deck_config_tags_change_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for folder in ("decks", "notes", "True", "False"):
        Path(folder).mkdir()
    Path("notes/one.md").write_text("## Q?\n\nA.\n", "utf-8")
    deck_config = Path("decks/d.yaml")

    def both() -> list[bytes]:
        spec = config.load_deck_config(deck_config)
        decks = []
        for use_cache in (True, False):
            output = tmp_path / str(use_cache) / "d.apkg"  # its name is in the description
            options = BuildOptions(timestamp=FIXED_TIME, cache=use_cache)
            assert pipeline.build_deck(replace(spec, output=output), options).written
            decks.append(output.read_bytes())
        return decks

    deck_config.write_text("sources: notes\ntags: [one]\n", "utf-8")
    first = both()
    assert first[0] == first[1]
    deck_config.write_text("sources: notes\ntags: [two]\n", "utf-8")
    second = both()
    assert second[0] == second[1]
    assert second[0] != first[0]


def test_a_notebook_with_an_attached_image_comes_back_whole(
    write_notes: WriteNotes, tmp_path: Path
) -> None:
    """An attachment's bytes are kept in the entry (there is no file to read again)."""
    cell = new_markdown_cell("What is drawn here?\n\n-\n\n![](attachment:pic.png)")
    cell["attachments"] = {"pic.png": {"image/png": base64.b64encode(PNG_BYTES).decode()}}
    book = new_notebook(cells=[new_markdown_cell("# Lesson"), cell, new_code_cell("1 + 1")])
    notes = write_notes({"lesson.ipynb": nbformat.writes(book)})
    twins = Twins(notes, tmp_path)
    first = twins.build()
    assert first[True].media == 1
    for output in twins.outputs.values():
        output.unlink()
    twins.build()
    decks = twins.decks()
    assert decks[True] == decks[False]


def test_an_up_to_date_result_says_so_in_jupyter(twins: Twins) -> None:
    twins.build()
    options = replace(twins.options, output=twins.outputs[True])
    result = pipeline.build_paths([twins.notes], options)
    assert result.up_to_date and not result.written
    assert "is up to date" in result._repr_html_()


def test_trimming_removes_what_a_killed_build_left_half_written(tmp_path: Path) -> None:
    old = tmp_path / "ab" / f"{cache.TEMPORARY}killed"
    new = tmp_path / "ab" / f"{cache.TEMPORARY}writing"
    old.parent.mkdir()
    old.write_bytes(b"half")
    new.write_bytes(b"half")
    os.utime(old, (0, 0))
    cache.trim(tmp_path, 10**6)
    assert not old.exists()
    assert new.exists()  # another build may be writing it now


def test_builds_at_the_same_time_leave_whole_entries(
    write_notes: WriteNotes, cache_folder: Path, tmp_path: Path
) -> None:
    """Two processes filling one cache: every entry reads back (temporary file + rename)."""
    notes = write_notes({f"n{number}.md": f"## Q{number}?\n\nA{number}.\n" for number in range(30)})
    command = [sys.executable, "-m", "anki_tools", "check", str(notes)]
    environment = {**os.environ, cache.CACHE_ENV: str(cache_folder)}
    running = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE) for _ in "ab"]
    outputs = [process.communicate()[0] for process in running]
    assert outputs == [b"30 notes, 30 cards, 0 media\n"] * 2
    found = entries(cache_folder)
    assert len(found) == 30
    for path in found:
        cache_codec.decode(path.read_bytes(), path.stem)  # raises BadEntry if torn
    assert not list(cache_folder.rglob(f"{cache.TEMPORARY}*"))


def test_the_versions_memo_is_kept_when_only_the_working_folder_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `python -m anki_tools` the working folder (the notes' folder) is on sys.path;
    a note saved there must not send every build to importlib.metadata again (~15 ms of
    imports and a scan of every folder), while a change to a library folder still does."""
    notes, library = tmp_path / "notes", tmp_path / "site-packages"
    notes.mkdir()
    library.mkdir()
    monkeypatch.chdir(notes)
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.syspath_prepend(str(notes))
    cache._dependency_versions()
    memo = cache.cache_folder() / "versions.json"
    written = memo.stat().st_mtime_ns, memo.stat().st_ino

    (notes / "a.md").write_text("## A new note\n\nSaved.\n", "utf-8")
    os.utime(notes, ns=(time.time_ns(), time.time_ns() + 10**9))  # surely another mtime
    cache._dependency_versions()
    assert (memo.stat().st_mtime_ns, memo.stat().st_ino) == written

    os.utime(library, ns=(time.time_ns(), time.time_ns() + 10**9))  # as an install does
    cache._dependency_versions()
    assert (memo.stat().st_mtime_ns, memo.stat().st_ino) != written
