"""Every size and count limit anki-tools enforces, in one place (docs/security.md lists them).

Sources come from other people: each limit keeps a build's time and memory bounded, or
keeps a deck inside what Anki accepts, so one hostile or broken note cannot make a
member's import fail or a build run for hours.
"""

from __future__ import annotations

# --- the lock file (lock.py, lock_text.py): committed beside a deck, written by others ---
# SQLite (and so Anki) stores ids and times as signed 64-bit integers.
SQLITE_MAX_INTEGER = 2**63 - 1
# A lock of 100,000 notes is about 30 MB; a bigger file is not one anki-tools wrote.
LOCK_MAX_BYTES = 64 * 1024 * 1024
# A lock nests three deep (keys → notes → fields); deeper YAML is refused before it is
# built (PyYAML recurses per level and would raise RecursionError).
LOCK_MAX_DEPTH = 16
# Our guids are 12 characters, Anki's own 10: a longer one was not made by a build.
LOCK_MAX_GUID_CHARS = 64
# A modified time later than this many seconds after now is refused: Anki keeps the newer
# of two versions of a note, so a time in the future would let the deck win over members'
# own edits until then. Rebuilds within one second move times a second ahead each, so a
# day leaves room for 86,400 builds faster than the clock.
LOCK_MAX_SECONDS_AHEAD = 86_400
# Note ids are the milliseconds when a note was added; new notes are numbered a second
# apart after the highest id in the lock, so ids run ahead of the clock by a second per
# note added in one go. A year ahead is more than any deck adds, and far inside int64.
LOCK_MAX_NOTE_ID_SECONDS_AHEAD = 366 * 86_400

# --- Anki's bounds (bounds.py, tags.py), measured by importing into the real backend ---
# Anki keeps a card's number in 16 bits: {{c65535::…}} is the last cloze it reads.
# {{c65536::…}} imports, but Anki shows it as text and its card as an error; from
# {{c65537::…}} on, the import of the whole deck fails (IntegralValueOutOfRange).
CLOZE_NUMBER_MAX = 65_535
# A note makes one card per cloze number: more than this is surely a mistake (a card a
# line of a table, numbered by a script). A warning, not an error.
CARDS_PER_NOTE_WARNING = 500
# Anki refuses a deck nested deeper than this (`a::b::…`, eleven names) whose parents a
# collection does not have yet ("deck nesting level too deep"): the whole import fails.
DECK_MAX_DEPTH = 11
# Anki's importer takes fields and tags of any size (measured: a 100 MB field, a 1 MB
# tag, 100,000 tags on a note). These bounds are ours, so that one note cannot bloat
# every member's collection, its syncs (AnkiWeb takes 100 MB a request) and tag list.
FIELD_MAX_BYTES = 1_000_000  # UTF-8 bytes of one field's HTML
# A card longer than this (its Markdown: front, back and hint) is no flashcard but a
# chapter: a warning. Real sources had 29,000-character sections of a README and a
# 185,000-character notebook card; a long card with code is about 3,000.
CARD_REVIEW_WARNING_CHARS = 10_000
TAG_MAX_CHARS = 100
TAGS_PER_NOTE_MAX = 50

# --- hostile sources (engine.py, body.py, parsers/): bounded time and memory per source ---
# A block (a paragraph, a list, a quote, …) may sit inside at most this many others;
# lists, list items, quotes and quote boxes count one each, so lists nest 9 deep.
# markdown-it-py drops whatever is nested past its maxNesting (20 in its commonmark
# preset, which we keep: it also bounds its inline work, as `![` repeated re-scans a
# label that deep) without a word; a note that would lose text so is an error.
MARKDOWN_MAX_NESTING = 18
# The markdown-it tokens one source (a notes file, a notebook) may make: a token holds
# about 300 bytes while the source is built, and hostile Markdown makes two a byte (a
# table of `|a` cells), so a 2 MB note could take gigabytes. Real notes make one per 16
# bytes: a 2 MB file of cards about 130,000. Parsing stops when a source passes it.
MARKDOWN_MAX_TOKENS = 500_000
# A table row is made at once, three tokens a column: a header of a million `|a` cells
# would pass the budget in one go. Real tables have a few dozen columns.
TABLE_MAX_COLUMNS = 500
# Raw HTML nested deeper than this is refused: html5ever (in nh3, the sanitizer) searches
# the open elements for each start tag, so 100,000 nested <div>s took a minute.
# Browsers stop nesting at 512; notes and notebook outputs nest a dozen deep.
HTML_MAX_NESTING = 100
# YAML (front matter, deck configs) nested deeper than this is refused before it is
# built: PyYAML recurses per level, and 500 `[` raised RecursionError.
YAML_MAX_DEPTH = 20
# Front matter holds five keys (deck, tags, card_level, reverse, url); PyYAML reads about
# 300 kB a second, and each unknown key is a warning. Larger front matter is refused.
FRONT_MATTER_MAX_BYTES = 64 * 1024
FRONT_MATTER_MAX_KEYS = 100
# A notebook's JSON nested deeper than this is refused before nbformat reads it: its
# reader and validator recurse per level (RecursionError from about 400). Real notebooks
# nest under 20 deep (widget state, plot figures in outputs).
NOTEBOOK_MAX_JSON_DEPTH = 100

# --- what a source may be (files.py, parsers/, config.py): read at most this + 1 bytes ---
# A source that is larger is refused before it is parsed, and never read to its end (a
# link to /dev/zero is refused as a device; this bounds a huge regular file).
# Notes are hand-written text: the largest real notes files are a few hundred kB, a whole
# textbook is about 1 MB. 2 MB is some 15,000 cards (checked in about 20 s on one core).
MARKDOWN_MAX_BYTES = 2 * 1024 * 1024
# Notebooks carry their image outputs inline as base64: a lesson with a few dozen plots
# is tens of MB. GitHub refuses files over 100 MB.
NOTEBOOK_MAX_BYTES = 64 * 1024 * 1024
# A deck config is a dozen lines and a description.
DECK_CONFIG_MAX_BYTES = 256 * 1024
