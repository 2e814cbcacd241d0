"""The AnkiConnect client against what may answer at its address instead of a running
Anki: nothing at all, a server that is not AnkiConnect, and AnkiConnect's own refusals.
Each is one `URL: message` line and exit 1, never a traceback. (AnkiConnect itself is
tested for real in test_sync_ankiconnect.py.)"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cli_run import run
from hypothesis import given
from hypothesis import strategies as st

from anki_tools.errors import SyncError
from anki_tools.sync.ankiconnect import AnkiConnect, AnkiConnectBackend, url_problem
from anki_tools.sync.backend import fields_hash

from anki_running import free_port


@pytest.fixture
def project(in_tmp: Path) -> Path:
    (in_tmp / "notes").mkdir()
    (in_tmp / "notes" / "a.md").write_text("## What is 2 + 2?\n\nFour.\n", "utf-8")
    return in_tmp


@dataclass
class Answering:
    url: str
    bodies: list[bytes] = field(default_factory=list)


@pytest.fixture
def answering() -> Iterator[Answering]:
    """A server on 127.0.0.1 answering every POST with the next of `bodies` (the last
    one again when they run out)."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = bodies.pop(0) if len(bodies) > 1 else bodies[0]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Answering(f"http://127.0.0.1:{server.server_address[1]}", bodies)
    finally:
        server.shutdown()
        server.server_close()


def reply(result: object = None, error: object = None) -> bytes:
    return json.dumps({"result": result, "error": error}).encode()


def test_nothing_answering_is_one_clear_line(project: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run("sync", "notes", "--anki-connect", url)
    assert result.exit_code == 1
    assert f"Error: {url}: nothing answers here: start Anki with the AnkiConnect add-on" in (
        result.stderr
    )
    assert "--collection PATH" in result.stderr


def test_without_anki_connect_at_the_default_address_the_probe_says_no() -> None:
    assert AnkiConnect(f"http://127.0.0.1:{free_port()}").answers() is False


@pytest.mark.parametrize(
    ("bodies", "said"),
    [
        ([b"<html>not here</html>"], "the answer to version is not AnkiConnect's (not JSON)"),
        ([b"[1, 2]"], "the answer to version is not AnkiConnect's"),
        ([reply(error="valid api key must be provided")], "AnkiConnect wants its apiKey"),
        ([reply(error="boom\x1b[2J" + "x" * 5000)], "AnkiConnect refused version: boom\\x1b[2J"),
        ([reply(5)], "AnkiConnect 5 is too old: sync needs its API version 6"),
        ([reply(6), reply(["not", "a", "path"])], "AnkiConnect did not say where the collection"),
        ([reply(6), reply("/")], "AnkiConnect did not say where the collection"),
        ([reply(6), reply("relative/collection.media")], "AnkiConnect did not say where"),
        ([reply({"x": [1] * 100})], f"AnkiConnect {str({'x': [1] * 100})[:40]} is too old"),
    ],
)
def test_a_server_that_is_not_anki_connect_is_refused_in_one_line(
    project: Path, answering: Answering, bodies: list[bytes], said: str
) -> None:
    answering.bodies.extend(bodies)
    url = answering.url
    result = run("sync", "notes", "--anki-connect", url)
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert line.startswith(f"Error: {url}: {said}"), line
    assert "\x1b" not in result.stderr and len(line) < 800


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("127.0.0.1:8765", "not an http:// address, such as http://127.0.0.1:8765"),
        ("ftp://127.0.0.1:8765", "not an http:// address"),
        ("http://", "not an http:// address"),
        ("http://[::1", "not a URL (Invalid IPv6 URL)"),
        ("http://127.0.0.1:99999", "not a URL (Port out of range 0-65535)"),
        ("ht\ttp://127.0.0.1:1", "not a URL (it holds spaces or control characters)"),
    ],
)
def test_an_address_that_is_not_a_url_is_a_usage_error_before_any_build(
    project: Path, url: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = run("sync", "notes", "--anki-connect", url)
    assert given.exit_code == 2
    assert f"Invalid value for '--anki-connect': {url!r}: {said}" in given.stderr
    assert not Path("notes.apkg").exists()  # refused before anything was built
    monkeypatch.setenv("ANKI_CONNECT_URL", url)
    by_env = run("sync", "notes")
    assert by_env.exit_code == 2
    assert f"Invalid value for $ANKI_CONNECT_URL: {url!r}: {said}" in by_env.stderr


@given(st.text(max_size=80))
def test_any_text_as_an_address_is_judged_without_an_exception(text: str) -> None:
    wrong = url_problem(text)
    assert wrong is None or wrong.startswith("not ")
    if wrong is None:
        assert text.split(":", 1)[0].lower() in ("http", "https")


def test_a_server_that_does_not_speak_http_is_refused_in_one_line(project: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"

        def babble() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

        thread = threading.Thread(target=babble, daemon=True)
        thread.start()
        result = run("sync", "notes", "--anki-connect", url)
        thread.join(10)
    assert result.exit_code == 1, result.output
    assert f"Error: {url}: the answer to version is not AnkiConnect's (not HTTP)" in result.stderr


NOTE_TYPES = reply({"anki-tools Basic": 5})


def note_info(cards: object) -> bytes:
    fields = {"Front": {"value": "Q", "order": 0}, "Back": {"value": "A", "order": 1}}
    info = {"noteId": 42, "tags": [], "fields": fields, "modelName": "anki-tools Basic"}
    return reply([{**info, "cards": cards}])


@pytest.mark.parametrize(
    "bodies",
    [
        [NOTE_TYPES, note_info([7]), reply({"a": [[7]]})],  # a card id that is a list
        [NOTE_TYPES, note_info([7]), reply({"a": [8]})],  # no deck for card 7
        [NOTE_TYPES, note_info([7]), reply(["a"])],
        [reply(["anki-tools Basic"])],
    ],
)
def test_a_snapshot_of_answers_not_of_notes_info_shape_is_refused(
    answering: Answering, bodies: list[bytes]
) -> None:
    answering.bodies.extend([reply(6), reply("/profile/collection.media"), *bodies])
    backend = AnkiConnectBackend(AnkiConnect(answering.url))
    with pytest.raises(SyncError, match=f"^{answering.url}: (the answer to|AnkiConnect gave)"):
        backend.snapshot({"g": 42})


def test_a_snapshot_reads_a_note_as_notes_info_gives_it(answering: Answering) -> None:
    answering.bodies.extend(
        [reply(6), reply("/profile/collection.media"), NOTE_TYPES, note_info([7, 8])]
    )
    answering.bodies.append(reply({"a": [7], "b": [8]}))
    backend = AnkiConnectBackend(AnkiConnect(answering.url))
    assert backend.key.endswith("/profile/collection.anki2")
    (note,) = backend.snapshot({"g": 42, "unknown": None}).values()
    assert (note.note_id, note.note_type_id, note.modified) == (42, 5, None)
    assert [(card.card_id, card.deck) for card in note.cards] == [(7, "a"), (8, "b")]
    assert note.fields_hash == fields_hash(["Q", "A"], [])
