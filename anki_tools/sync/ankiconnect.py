"""The AnkiConnect mode: Anki is running with the AnkiConnect add-on (2055492159), and
sync talks to it over HTTP on this machine instead of opening the collection file (which
the running Anki holds locked).

AnkiConnect cannot look a note up by guid, nor tell a note's modified time: notes are
found by the note id sync's state or the lock gives them, checked against this deck's
note types, and edits are seen in fields and tags (plan.py knows both). Its replies are
read as hostile input: anything not of the expected shape is a `SyncError`."""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import SyncError, printable
from .backend import REMOVED_TAG, CollectionCard, CollectionNote, fields_hash

DEFAULT_URL = "http://127.0.0.1:8765"
API_VERSION = 6
CHUNK = 1000  # note ids per request: a reply stays a few MB
PROBE_TIMEOUT = 2.0  # seconds: is Anki there at all?
# An import of a big deck runs inside Anki before it answers: wait long for any reply.
REPLY_TIMEOUT = 600.0
MAX_REPLY_BYTES = 256 * 1024 * 1024
MAX_ERROR_CHARS = 500  # of AnkiConnect's own error message, in ours
NOTHING_ANSWERS = (
    "nothing answers here: start Anki with the AnkiConnect add-on (2055492159) "
    "installed, or close Anki and sync its collection file with --collection PATH"
)
WANTS_KEY = "AnkiConnect wants its apiKey: give it with --anki-connect-key or $ANKI_CONNECT_KEY"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be AnkiConnect's address (None when it can): `http://host:port`."""
    if any(char.isspace() or not char.isprintable() for char in url):
        return "not a URL (it holds spaces or control characters)"  # urllib drops some
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError as error:
        return f"not a URL ({error})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http:// address, such as http://127.0.0.1:8765"
    return None


class AnkiConnect:
    """One running Anki's AnkiConnect, at `url` (with the add-on's `apiKey`, if it has one)."""

    def __init__(self, url: str = DEFAULT_URL, key: str | None = None) -> None:
        self.url = url
        self.key = key

    def call(self, action: str, timeout: float = REPLY_TIMEOUT, **params: Any) -> Any:
        """The result of one action; AnkiConnect's error, or no answer, as a `SyncError`."""
        body = {"action": action, "version": API_VERSION, "params": params, "key": self.key}
        wrong = url_problem(self.url)
        if wrong:
            raise self.problem(wrong)
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                data = response.read(MAX_REPLY_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise self.problem(f"AnkiConnect answered {action} with HTTP {error.code}") from error
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out
            raise self.problem(NOTHING_ANSWERS) from error
        except http.client.HTTPException as error:  # something that does not speak HTTP
            raise self.problem(f"the answer to {action} is not AnkiConnect's (not HTTP)") from error
        return self._result(action, data)

    def _result(self, action: str, data: bytes) -> Any:
        if len(data) > MAX_REPLY_BYTES:
            raise self.problem(f"AnkiConnect's answer to {action} is over 256 MB")
        try:
            reply = json.loads(data)
        except ValueError as error:
            raise self.problem(f"the answer to {action} is not AnkiConnect's (not JSON)") from error
        if not isinstance(reply, dict) or not {"result", "error"} <= reply.keys():
            raise self.problem(f"the answer to {action} is not AnkiConnect's")
        if reply["error"] is not None:
            said = str(reply["error"])[:MAX_ERROR_CHARS]
            if "api key" in said:
                raise self.problem(WANTS_KEY)
            raise self.problem(f"AnkiConnect refused {action}: {said}")
        return reply["result"]

    def problem(self, message: str) -> SyncError:
        """A problem of this AnkiConnect, placed at its address (`URL: message`)."""
        return SyncError(printable(f"{self.url}: {message}"))

    def answers(self) -> bool:
        """Whether an AnkiConnect answers here (quickly: sync's default is to try it)."""
        try:
            self.call("version", timeout=PROBE_TIMEOUT)
        except SyncError:
            return False
        return True


class AnkiConnectBackend:
    """sync's `Backend` over AnkiConnect's note and card actions."""

    def __init__(self, connection: AnkiConnect) -> None:
        self.connection = connection
        version = connection.call("version")
        if not isinstance(version, int) or version < API_VERSION:
            shown = str(version)[:40]
            raise connection.problem(
                f"AnkiConnect {shown} is too old: sync needs its API version {API_VERSION}"
            )
        media = connection.call("getMediaDirPath")
        if not isinstance(media, str) or not Path(media).is_absolute() or not Path(media).name:
            raise connection.problem("AnkiConnect did not say where the collection is")
        # The profile's folder holds collection.anki2 beside collection.media: the same
        # file, and so the same state of sync, as the direct mode's.
        self.collection = Path(media).with_name("collection.anki2")

    @property
    def key(self) -> str:
        return os.path.realpath(self.collection)

    def close(self) -> None:
        """Nothing to close: Anki keeps the collection open."""

    def snapshot(self, wanted: Mapping[str, int | None]) -> dict[str, CollectionNote]:
        by_id = {note_id: guid for guid, note_id in wanted.items() if note_id}
        note_type_ids = self._note_type_ids()
        found: dict[str, CollectionNote] = {}
        for chunk in _chunks(list(by_id)):
            infos = self._list("notesInfo", self.connection.call("notesInfo", notes=chunk))
            read = [_read_note(info, note_type_ids) for info in infos]
            notes = [pair for pair in read if pair and pair[0].note_id in by_id]
            decks = self._decks([card for _, card_ids in notes for card in card_ids])
            for note, card_ids in notes:
                cards = tuple(CollectionCard(card, decks[card]) for card in card_ids)
                found[by_id[note.note_id]] = replace(note, cards=cards)
        return found

    def _note_type_ids(self) -> dict[str, int]:
        names = self.connection.call("modelNamesAndIds")
        if not isinstance(names, dict) or not all(isinstance(i, int) for i in names.values()):
            raise self.connection.problem("the answer to modelNamesAndIds is not AnkiConnect's")
        return names

    def _decks(self, card_ids: list[int]) -> dict[int, str]:
        decks: dict[int, str] = {}
        for chunk in _chunks(card_ids):
            by_deck = self.connection.call("getDecks", cards=chunk)
            if not isinstance(by_deck, dict):
                raise self.connection.problem("the answer to getDecks is not AnkiConnect's")
            for deck, cards in by_deck.items():
                decks.update((card, deck) for card in self._ids("getDecks", cards))
        missing = set(card_ids) - decks.keys()
        if missing:
            raise self.connection.problem(f"AnkiConnect gave no deck for card {min(missing)}")
        return decks

    def _list(self, action: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.connection.problem(f"the answer to {action} is not AnkiConnect's")
        return value

    def _ids(self, action: str, value: Any) -> list[int]:
        """A list of note or card ids in an answer, checked."""
        ids = self._list(action, value)
        if not all(isinstance(item, int) for item in ids):
            raise self.connection.problem(f"the answer to {action} is not AnkiConnect's")
        return ids

    def import_package(self, package: Path) -> None:
        """AnkiConnect's importPackage runs Anki's importer with `IMPORT_OPTIONS`, and
        only says that it ran: what it did is read back with `snapshot`."""
        if self.connection.call("importPackage", path=str(package.absolute())) is not True:
            raise self.connection.problem("Anki did not import the deck (no collection open?)")

    def _cards(self, note_ids: Sequence[int]) -> list[int]:
        infos = self._list("notesInfo", self.connection.call("notesInfo", notes=list(note_ids)))
        if not all(isinstance(info, dict) for info in infos):
            raise self.connection.problem("the answer to notesInfo is not AnkiConnect's")
        return [
            card for info in infos if info for card in self._ids("notesInfo", info.get("cards"))
        ]

    def tag_and_suspend(self, note_ids: Sequence[int]) -> None:
        self.connection.call("addTags", notes=list(note_ids), tags=REMOVED_TAG)
        self.connection.call("suspend", cards=self._cards(note_ids))

    def restore(self, note_ids: Sequence[int]) -> None:
        self.connection.call("removeTags", notes=list(note_ids), tags=REMOVED_TAG)
        self.connection.call("unsuspend", cards=self._cards(note_ids))

    def delete(self, note_ids: Sequence[int]) -> None:
        self.connection.call("deleteNotes", notes=list(note_ids))

    def move(self, card_ids: Sequence[int], deck: str) -> None:
        self.connection.call("createDeck", deck=deck)
        self.connection.call("changeDeck", cards=list(card_ids), deck=deck)


def _chunks(items: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _read_note(info: Any, note_type_ids: dict[str, int]) -> tuple[CollectionNote, list[int]] | None:
    """One entry of notesInfo (without its cards' decks) and its card ids; None for a
    missing note (`{}`), one of an unknown note type, or an entry not of notesInfo's shape."""
    try:
        fields = sorted(info["fields"].values(), key=lambda field: field["order"])
        values = [field["value"] for field in fields]
        tags, cards, note_id = info["tags"], info["cards"], info["noteId"]
        note_type_id = note_type_ids.get(info["modelName"])
    except (KeyError, TypeError, AttributeError):
        return None
    plain = [values, tags, cards]
    if not all(isinstance(part, list) for part in plain) or note_type_id is None:
        return None
    if not all(isinstance(v, str) for v in values + tags) or not isinstance(note_id, int):
        return None
    if not all(isinstance(card, int) for card in cards):
        return None
    note = CollectionNote(note_id, note_type_id, None, fields_hash(values, tags), (), tuple(tags))
    return note, cards
