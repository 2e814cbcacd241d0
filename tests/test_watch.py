"""Watch mode: `build --watch` and `preview --watch`, driven by real edits of real files
under the real watcher (watchfiles), in this process or as the command a user runs.
Nothing sleeps for a fixed time: each test waits for the line or the file it expects."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from anki_tools import pipeline
from anki_tools.pipeline import BuildOptions
from anki_tools.serve import VERSION_PATH, PreviewServer
from anki_tools.watch import Sources, changes, cycle_of, paths_sources, watch_loop

from conftest import WriteNotes
from watch_command import STATUS, TIMEOUT, Lines, WatchCommand


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """For what no line announces (a server's answer): ask again until it holds."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {TIMEOUT} s"
        threading.Event().wait(0.05)  # between questions, not instead of one


def cards(count: int, answer: str = "answer") -> str:
    return "".join(f"## Question {n}\n\n{answer} {n}\n\n" for n in range(1, count + 1))


@pytest.fixture
def watching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Sources, Callable[[], object]], Lines]]:
    """Start a watch loop in a thread; it is stopped (and must end) after the test.
    Paths are shown from tmp_path, as a user's are from the working folder."""
    monkeypatch.chdir(tmp_path)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(sources: Sources, action: Callable[[], object]) -> Lines:
        lines = Lines()
        thread = threading.Thread(
            target=watch_loop, args=(action, changes(sources, stop), lines.echo), daemon=True
        )
        thread.start()
        threads.append(thread)
        return lines

    yield start
    stop.set()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "the watch did not stop"


def build_action(root: Path, output: Path) -> Callable[[], object]:
    options = BuildOptions(output=output)
    return lambda: cycle_of([pipeline.build_paths([root], options)])


def test_a_burst_of_saves_is_one_rebuild_and_the_deck_changes(write_notes: WriteNotes, watching):
    root = write_notes({"a.md": cards(1)})
    deck = root / "deck.apkg"  # inside the watched folder: its writes must start nothing
    lines = watching(paths_sources([root], None, [deck]), build_action(root, deck))
    first = lines.wait_for_status("1 note, 1 card")
    assert first == [first[0]] and "deck.apkg" in first[0] and "1 added" in first[0]
    written = deck.stat().st_mtime_ns
    for count in range(2, 7):  # five saves, as fast as a formatter on save
        (root / "a.md").write_text(cards(count), "utf-8")
    lines.wait_for_status("6 notes, 6 cards")
    (root / "b.md").write_text(cards(1, "sentinel"), "utf-8")  # after the burst, surely
    statuses = lines.wait_for_status("7 notes, 7 cards")
    burst = statuses[1:-1]
    assert 1 <= len(burst) <= 2, statuses
    assert all("after notes/a.md:" in line for line in burst), burst
    assert "after notes/b.md: " in statuses[-1] and "1 added" in statuses[-1]
    assert deck.stat().st_mtime_ns != written
    assert "Question 6" in (root / "deck.lock").read_text("utf-8")


def test_a_broken_file_is_reported_and_fixing_it_rebuilds(write_notes: WriteNotes, watching):
    root = write_notes({"a.md": cards(2), "b.md": cards(1)})
    deck = root.parent / "deck.apkg"
    lines = watching(paths_sources([root], None, [deck]), build_action(root, deck))
    lines.wait_for_status("3 notes")
    (root / "a.md").write_text("## Broken\n\n(S)open\n", "utf-8")
    statuses = lines.wait_for_status("(1 error")
    assert "nothing written" in statuses[-1]
    problem = next(line for line in lines.lines if "unbalanced spoiler" in line)
    assert re.search(r"notes/a\.md:3: unbalanced spoiler", problem), problem
    (root / "a.md").unlink()  # a file removed: the build goes on without it
    lines.wait_for_status("deck.apkg: 1 note, 1 card")
    (root / "sub").mkdir()
    (root / "sub" / "c.md").write_text(cards(2, "fixed"), "utf-8")
    lines.wait_for_status("deck.apkg: 3 notes, 3 cards")
    assert "sub/c.md" in (root.parent / "deck.lock").read_text("utf-8")


def test_a_watched_folder_deleted_and_made_again_is_watched_again(
    write_notes: WriteNotes, watching
) -> None:
    root = write_notes({"a.md": cards(1)})
    deck = root.parent / "deck.apkg"
    lines = watching(paths_sources([root], None, [deck]), build_action(root, deck))
    lines.wait_for_status("deck.apkg: 1 note")
    (root / "a.md").unlink()
    root.rmdir()
    lines.wait_for_status("1 error")
    assert any(line.startswith("notes: ") for line in lines.lines), lines.lines
    write_notes({"a.md": cards(2)})
    lines.wait_for_status("deck.apkg: 2 notes")
    (root / "a.md").write_text(cards(3), "utf-8")  # and the new folder is watched
    lines.wait_for_status("after notes/a.md: deck.apkg: 3 notes")


def test_what_a_build_and_a_preview_write_starts_no_build(write_notes: WriteNotes, watching):
    root = write_notes({"a.md": cards(1)})
    deck, page = root / "deck.apkg", root / "page"
    sources = paths_sources([root], None, [deck, page])
    both = BuildOptions(output=deck)

    def build_and_preview() -> object:
        built = pipeline.build_paths([root], both)
        pipeline.preview([root], page, replace(both, output=None))
        return cycle_of([built])

    lines = watching(sources, build_and_preview)
    lines.wait_for_status("1 note")
    assert (page / "index.html").is_file() and (root / "deck.lock").is_file()
    (root / "a.md").write_text(cards(2), "utf-8")
    statuses = lines.wait_for_status("2 notes")
    (root / "a.md").write_text(cards(3), "utf-8")
    statuses = lines.wait_for_status("3 notes")
    # Each build wrote the deck, its lock and the page: had they counted, a build would
    # name them, or come between the edits.
    assert len(statuses) == 3, statuses
    assert [line.split("] ")[1].split(":")[0] for line in statuses[1:]] == ["after notes/a.md"] * 2


@pytest.mark.parametrize(
    "name",
    [".#a.md", "a.md~", ".a.md.swp", ".a.md.swx", "4913", "#a.md#", "deck.apkg", "deck.lock"],
)
def test_editor_and_build_files_start_no_build(tmp_path: Path, name: str) -> None:
    sources = paths_sources([tmp_path], None, [tmp_path / "page"])
    assert not sources.wants(tmp_path / name)
    assert not sources.wants(tmp_path / "page" / "index.html")
    assert not sources.wants(tmp_path / ".git" / "index")
    assert sources.wants(tmp_path / "a.md") and sources.wants(tmp_path / "sub" / "b.png")


def test_a_file_given_by_name_is_watched_with_its_images_not_its_neighbours(tmp_path: Path):
    sources = paths_sources([tmp_path / "a.md"], None)
    assert sources.roots() == [tmp_path]
    assert sources.wants(tmp_path / "a.md") and sources.wants(tmp_path / "img" / "x.png")
    assert not sources.wants(tmp_path / "b.md")


def test_an_error_the_action_raises_is_shown_and_the_loop_goes_on() -> None:
    from anki_tools.errors import ConfigError
    from anki_tools.notes import Source

    outcomes: list[Exception | None] = [
        ConfigError("bad key", Source(Path("decks/x.yaml"), 3)),
        ValueError("a bug of ours"),
        None,
    ]

    def action() -> object:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return cycle_of([])

    lines = Lines()
    batches = iter([[], [Path("a.md")], [], [Path("b.md"), Path("c.md")], [Path("d.md")]])
    runs = watch_loop(action, batches, lines.echo, cycles=3)  # type: ignore[arg-type]
    assert runs == 3 and next(batches) == [Path("d.md")]  # the loop stopped after 3 runs
    assert lines.lines[0] == "decks/x.yaml:3: bad key"
    assert STATUS.match(lines.lines[1]) and lines.lines[1].endswith("] 1 error")
    assert lines.lines[2] == "internal error (ValueError): a bug of ours"
    assert lines.lines[3].endswith("] after a.md: 1 error")
    assert lines.lines[4].endswith("] after b.md and 1 more: nothing to build")


@pytest.fixture
def command() -> Iterator[Callable[..., WatchCommand]]:
    started: list[WatchCommand] = []

    def start(cwd: Path, *args: str) -> WatchCommand:
        started.append(WatchCommand(cwd, *args))
        return started[-1]

    yield start
    for running in started:
        running.close()


def test_ctrl_c_stops_build_watch_with_status_0(write_notes: WriteNotes, command) -> None:
    root = write_notes({"a.md": cards(1)})
    running = command(root.parent, "build", "--watch", "notes", "-o", "deck.apkg")
    running.out.wait_for_status("deck.apkg: 1 note")
    (root / "a.md").write_text(cards(2), "utf-8")
    running.out.wait_for_status("after notes/a.md: deck.apkg: 2 notes")
    assert running.interrupt() == 0
    running.out.wait_for(lambda lines: lines[-1:] == ["stopped"], "stopped")
    assert running.out.lines[0] == "watching notes (Ctrl-C stops)"
    assert "Traceback" not in "\n".join(running.err.lines), running.err.lines


def test_deck_configs_are_watched_through_an_invalid_config_and_a_deleted_folder(
    tmp_path: Path, command
) -> None:
    project = tmp_path / "project"
    (project / "decks").mkdir(parents=True)
    (project / "notes").mkdir()
    (project / "notes" / "a.md").write_text(cards(2), "utf-8")
    deck_config = project / "decks" / "n.yaml"
    deck_config.write_text("name: N\nsources: [notes]\n", "utf-8")
    running = command(project, "build", "--watch")
    running.out.wait_for_status("decks/n.apkg: 2 notes")
    deck_config.write_text("name: N\nsources: [notes]\nbogus: 1\n", "utf-8")
    running.out.wait_for_status("decks/n.yaml: 1 error")
    running.err.wait_for(
        lambda lines: any(line.startswith("decks/n.yaml:3: ") for line in lines), "the error"
    )
    deck_config.write_text("name: N\nsources: [notes, more]\n", "utf-8")
    running.out.wait_for_status("decks/n.apkg: 2 notes")
    (project / "more").mkdir()  # a folder the config names, made while watching
    (project / "more" / "b.md").write_text(cards(1, "more"), "utf-8")
    running.out.wait_for_status("decks/n.apkg: 3 notes")
    for file in (project / "notes").iterdir():
        file.unlink()
    (project / "notes").rmdir()
    running.out.wait_for_status("decks/n.apkg: 1 note")
    (project / "notes").mkdir()
    (project / "notes" / "c.md").write_text(cards(3), "utf-8")
    running.out.wait_for_status("decks/n.apkg: 4 notes")
    assert running.interrupt() == 0
    assert "Traceback" not in "\n".join(running.err.lines)


def get(url_port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    """A request as sent, `..` and all (http.client does not tidy paths)."""
    connection = http.client.HTTPConnection("127.0.0.1", url_port, timeout=TIMEOUT)
    try:
        connection.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def sandbox_of(port: int, path: str) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.getheader("Content-Security-Policy")
    finally:
        connection.close()


def test_the_server_serves_the_page_and_only_the_preview_folder(write_notes: WriteNotes, tmp_path):
    root = write_notes({"a.md": cards(1, "served")})
    page = tmp_path / "pv"
    pipeline.preview([root], page)
    on_disk = (page / "index.html").read_bytes()
    (tmp_path / "secret.txt").write_text("not for the web", "utf-8")
    (page / "link.txt").symlink_to(tmp_path / "secret.txt")
    (page / "x.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    with PreviewServer(page) as server:
        assert server.url == f"http://127.0.0.1:{server.port}/"
        status, body = get(server.port, "/")
        assert status == 200 and b"served 1" in body
        assert body.count(VERSION_PATH.encode()) == 1
        # The page sent is the page on disk with the reload script before </body>.
        start = body.rindex(b"<script>\n(function () {\n  var seen")
        script = body[start : body.rindex(b"</body>")]
        assert body.replace(script, b"") == on_disk
        assert get(server.port, "/index.html")[1] == body
        assert get(server.port, VERSION_PATH) == (200, b"0")
        assert sandbox_of(server.port, "/x.svg") == "sandbox; default-src 'none'"
        assert sandbox_of(server.port, "/") is None  # the page runs its own script
        for sneaky in ("/../secret.txt", "/%2e%2e/secret.txt", "/a/../../secret.txt", "/link.txt"):
            status, body = get(server.port, sneaky)
            assert status == 404 and b"not for the web" not in body, sneaky
        assert get(server.port, "/", host="attacker.example:80")[0] == 403
    assert b"reload" not in on_disk  # the file itself is the file mode's page


def test_preview_watch_serves_on_127_0_0_1_and_its_version_follows_edits(
    write_notes: WriteNotes, command
) -> None:
    root = write_notes({"a.md": cards(1, "old")})
    running = command(root.parent, "preview", "--watch", "notes", "-o", "pv")
    port = preview_port(running)
    running.out.wait_for_status("index.html: 1 note, 1 card")
    wait_until(lambda: get(port, VERSION_PATH) == (200, b"1"), "version 1")
    (root / "a.md").write_text(cards(2, "new"), "utf-8")
    running.out.wait_for_status("index.html: 2 notes")
    wait_until(lambda: get(port, VERSION_PATH) == (200, b"2"), "version 2")
    assert b"new 2" in get(port, "/")[1]
    assert running.interrupt() == 0
    assert "Traceback" not in "\n".join(running.err.lines)


def preview_port(running: WatchCommand) -> int:
    lines = running.out.wait_for(lambda ls: any("Serving" in line for line in ls), "URL")
    url = next(line for line in lines if line.startswith("Serving the preview at "))
    found = re.fullmatch(r"Serving the preview at http://127\.0\.0\.1:(\d+)/", url)
    assert found, url
    return int(found[1])


@pytest.mark.browser
def test_the_open_page_reloads_itself_after_an_edit(write_notes: WriteNotes, command, browser):
    from card_browser import PREVIEW_TIMEOUT_MS, wait_for_sides

    many = cards(40, "filler")  # enough to scroll: the reload keeps the place
    root = write_notes({"a.md": "## The question\n\nThe old answer\n", "b.md": many})
    running = command(root.parent, "preview", "--watch", "notes", "-o", "pv")
    port = preview_port(running)
    running.out.wait_for_status("index.html: 41 notes")
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    context.set_default_timeout(PREVIEW_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        wait_for_sides(page)
        back = page.frame_locator("article.pv-card iframe[title=Back]").first.locator("body")
        assert "The old answer" in back.inner_text()
        page.evaluate("window.scrollTo(0, 1500)")
        page.evaluate("window.beforeTheEdit = true")
        with page.expect_event("load", timeout=TIMEOUT * 1000):
            (root / "a.md").write_text("## The question\n\nThe new answer\n", "utf-8")
        assert page.evaluate("window.beforeTheEdit") is None  # a new page, not the old one
        page.wait_for_function("window.scrollY >= 1499")
        page.evaluate("window.scrollTo(0, 0)")
        wait_for_sides(page)
        assert "The new answer" in back.inner_text()
    finally:
        context.close()
    assert running.interrupt() == 0
