"""`.ipynb` notebooks → Notes: markdown cells are cards, tagged code cells join them.

Compatible with jupyter-to-anki notebooks: every markdown cell is a card unless it
holds only headings or only `DECK =` / `TAGS =` / `URL =` lines (meta cells, which
apply to the cells below). Code cells are ignored unless a Jupyter cell tag says
where they go: `card`, `front`, `back`; `skip` leaves any cell out.

Which markdown cells are cards is the cell mode (`anki: {cells: ...}` in the notebook
metadata, else a deck config's `cells:`, else `--cells`): `all` is the rule above,
`marked` keeps only cells with card markup (see `_is_marked`), and `auto`, the default,
is `all` for a notebook with markup in any cell; one with none gives no cards and a
warning, so a notebook of prose never becomes a deck of one-sided cards.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import accumulate
from pathlib import Path
from typing import Any

import nbformat

from .. import limits
from ..errors import NO_CARDS, Problems, SourceError
from ..notes import CELL_MODES, DEFAULT_READ, EMPTY, Kind, Note, Part, ReadOptions, Source
from ..syntax import body, engine, languages, titles
from ..syntax.budget import TokenBudget, TooLarge
from ..tags import checked_tags, split_tags
from . import notebook_schema, outputs
from .common import deck_from_path, read_text

MARKED_HINT = (
    "with cells: marked, only cells with card markup are cards: a '-', '-h' or '-i' line, "
    "cloze or type-in markers, or a card/front/back cell tag"
)
NO_MARKUP = (
    f"{NO_CARDS}: no cell has card markup, so this notebook is read as notes, not "
    "cards. Mark its cards with a '-' line (or '-h', '-i', cloze or type-in markers, or a "
    "card/front/back cell tag), or make every markdown cell a card with --cells all "
    "(notebook metadata anki: {cells: all}, a deck config: cells: all)"
)
META_LINE_RE = re.compile(r"^\s*(deck|tags|url)\s*=\s*(.*?)\s*$", re.IGNORECASE)
HEADING_LINE_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t].*)?$")
ROLE_TAGS = ("card", "front", "back")
JSON_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
JSON_STRUCTURE_RE = re.compile(JSON_STRING_RE.pattern + r"|[\[\]{}]")
NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
MAX_DEPTH = limits.NOTEBOOK_MAX_JSON_DEPTH
METADATA_KEYS = {"deck", "tags", "cells"}


@dataclass(frozen=True)
class Notebook:
    """A notebook read with nbformat (as version 4), with the cell ids as saved."""

    path: Path
    node: Any  # nbformat.NotebookNode
    # nbformat invents random ids for notebooks saved without them (and for
    # duplicates); a guid needs the saved one or, failing that, the front text.
    saved_ids: list[str | None]
    repeated_ids: tuple[str, ...] = ()


@dataclass
class Settings:
    """What notebook metadata and meta cells set for the cells below them."""

    deck: str
    tags: tuple[str, ...]
    url: str | None = None


@dataclass
class Draft:
    """A card being put together from one cell and the tagged cells after it."""

    front: list[Part]
    back: list[Part]
    hint: Part
    source: Source
    title: str
    settings: Settings
    cell_id: str | None
    question: Part  # the Markdown that decides cloze / type-in: never code or outputs
    cell: int  # the last cell that joined this card
    answerable: bool  # a one-sided markdown question that a `card` code cell may answer
    marked: bool = True  # has card markup (see _is_marked): `auto` asks
    broken: bool = False  # a cell of this card has an error: the card is left out
    image: bool = False
    reverse: bool = False
    attachments: dict[str, bytes] = field(default_factory=dict)


def parse(
    path: Path, root: Path, deck: str | None, problems: Problems, read: ReadOptions = DEFAULT_READ
) -> list[Note]:
    """Parse one notebook file into cards."""
    notebook = read_notebook(path, problems)
    mark = problems.mark()
    notes = notes_from(notebook, root, deck, problems, read)
    if not notes and not problems.errors_since(mark) and cell_mode(notebook, read) == "marked":
        problems.warning(Source(path), f"{NO_CARDS} ({MARKED_HINT})")
    return notes


def read_notebook(path: Path, problems: Problems) -> Notebook:
    """Read a notebook as Jupyter does; v3 notebooks are upgraded in memory."""
    text = read_text(path, limits.NOTEBOOK_MAX_BYTES, "notebooks")
    _check_nesting(text, path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not a notebook: invalid JSON ({error.msg}, column {error.colno})"
        # At the end of the file, past a last newline, is the last line to an editor.
        last = text.count("\n") + (not text.endswith("\n"))
        raise SourceError(message, Source(path, min(error.lineno, max(last, 1)))) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        raise SourceError("not a notebook: it has no 'nbformat' version number", Source(path))
    if not isinstance(raw.get("metadata", {}), dict):
        raise SourceError("not a valid notebook: 'metadata' must be a mapping", Source(path))
    return notebook_from_dict(raw, path, problems)


def _check_nesting(text: str, path: Path) -> None:
    """Refuse JSON nested deeper than NOTEBOOK_MAX_JSON_DEPTH before anything recurses
    over it (json, nbformat and its validator do, per level). Strings are left out first,
    so the brackets are counted at C speed; the line is looked for only when it is needed."""
    brackets = NOT_BRACKET_RE.sub("", JSON_STRING_RE.sub("", text))
    if max(accumulate(map(BRACKET_STEP.__getitem__, brackets)), default=0) <= MAX_DEPTH:
        return
    depth = 0
    for match in JSON_STRUCTURE_RE.finditer(text):
        depth += BRACKET_STEP.get(match.group(), 0)
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            message = f"not a notebook: its JSON nests more than {MAX_DEPTH} deep"
            raise SourceError(message, Source(path, line))


def notebook_from_dict(raw: dict[str, Any], path: Path, problems: Problems) -> Notebook:
    """A notebook from parsed JSON; its first schema problem is a warning (see
    notebook_schema), only what nbformat cannot read at all is an error."""
    readable, repaired = notebook_schema.usable(raw, path, problems)
    try:
        with warnings.catch_warnings():
            # nbformat warns as it repairs repeated or missing ids; we report those ourselves.
            warnings.simplefilter("ignore")
            node, invalid = _node(readable)
    except Exception as error:  # nbformat raises many kinds for broken structure
        first_line = str(error).strip().split("\n")[0]
        raise SourceError(f"not a valid notebook: {first_line}", Source(path)) from None
    problem = notebook_schema.first_problem(invalid) if invalid is not None else repaired
    if problem is not None:
        version = f"{node.get('nbformat')}.{node.get('nbformat_minor', '?')}"  # may be missing
        notebook_schema.warn(problem, version, path, problems)
    if not isinstance(node.get("cells"), list):  # a v3 notebook's worksheets hold none
        raise SourceError("not a valid notebook: it has no list of 'cells'", Source(path))
    return with_saved_ids(path, node, _ids_in_file(raw, len(node.cells)))


def _node(raw: dict[str, Any]) -> tuple[Any, Exception | None]:
    """The notebook as `nbformat.reads` makes it, from JSON already parsed (it takes only
    text: the dict went back to JSON and was parsed again): the reader of its version,
    then conversion to v4 and validation, whose error is returned, not logged."""
    major, minor = nbformat.reader.get_version(raw)  # type: ignore[no-untyped-call]
    if major not in nbformat.versions:
        raise nbformat.NBFormatError(f"Unsupported nbformat version {major}")
    try:
        node = nbformat.versions[major].to_notebook_json(raw, minor=minor)
    except AttributeError as error:
        message = f"The notebook is invalid and is missing an expected key: {error}"
        raise ValueError(message) from None
    node = nbformat.convert(node, 4)  # type: ignore[no-untyped-call]
    try:
        nbformat.validate(node)
    except nbformat.ValidationError as error:
        return node, error
    return node, None


def with_saved_ids(path: Path, node: Any, ids: list[str | None]) -> Notebook:
    """A repeated id identifies neither cell: their cards fall back to their fronts."""
    # Counted once, looked up in a set: a notebook of many cells stays linear.
    counts = Counter(cell_id for cell_id in ids if cell_id)
    repeated = {cell_id for cell_id, count in counts.items() if count > 1}
    saved = [None if cell_id in repeated else cell_id for cell_id in ids]
    return Notebook(path, node, saved, tuple(sorted(repeated)))


def _ids_in_file(raw: dict[str, Any], count: int) -> list[str | None]:
    cells = raw.get("cells") if raw.get("nbformat") == 4 else None
    if not isinstance(cells, list) or len(cells) != count:
        return [None] * count  # v3: cells lived in worksheets and had no ids
    return [_saved_id(cell) for cell in cells]


def _saved_id(cell: Any) -> str | None:
    cell_id = cell.get("id") if isinstance(cell, dict) else None
    return cell_id if isinstance(cell_id, str) and cell_id else None


@dataclass(frozen=True)
class Cell:
    """One cell with what the walk needs to know about it."""

    node: Any  # nbformat.NotebookNode
    source: Source
    cell_id: str | None
    tags: frozenset[str]
    role: str | None  # card, front, back
    above: int | None  # the number of the cell above, not counting skipped cells
    budget: TokenBudget  # the notebook's: what its cells may still parse

    @property
    def number(self) -> int:
        return self.source.cell or 0


def notes_from(
    notebook: Notebook,
    root: Path,
    deck: str | None,
    problems: Problems,
    read: ReadOptions = DEFAULT_READ,
) -> list[Note]:
    """Walk the cells top to bottom, keeping the meta settings and the cards built so far."""
    settings = _defaults(notebook, root, deck, problems)
    mode = cell_mode(notebook, read)
    language = _language(notebook.node.metadata, notebook.path, problems)
    for cell_id in notebook.repeated_ids:
        problems.warning(
            Source(notebook.path),
            f"cell id '{cell_id}' is used by more than one cell: "
            "their cards are known by their front text",
        )
    drafts: list[Draft] = []
    marked = False  # any cell with card markup, for `auto`
    # One budget for all cells: their tokens are kept until the notebook is built.
    for cell in _cells(notebook, problems, TokenBudget()):
        previous = drafts[-1] if drafts else None
        mark = problems.mark()
        draft = None
        try:
            if cell.node.cell_type == "markdown":
                text = _cell_text(cell.node)
                meta = _meta_settings(text, settings, cell.source, problems)
                if meta is not None:
                    settings = meta
                elif not _is_heading_only(text):
                    draft = _markdown_cell(previous, cell, text, settings, problems, mode)
            elif cell.node.cell_type == "code" and cell.role is not None:
                draft = _code_cell(previous, cell, language, settings, problems)
        except TooLarge as error:  # nothing of the notebook is built
            raise SourceError(error.message, cell.source) from None
        marked = marked or cell.role is not None or (draft is not None and draft.marked)
        if draft is not None:
            drafts.append(draft)
        elif previous is not None and previous.cell == cell.number and problems.errors_since(mark):
            previous.broken = True  # the cell joined it and brought an error along
    if mode == "auto" and not marked:
        problems.warning(Source(notebook.path), NO_MARKUP)
        return []
    return [_note(draft, root, language) for draft in drafts if _complete(draft, problems)]


def cell_mode(notebook: Notebook, read: ReadOptions) -> str:
    """Which markdown cells are cards: the notebook's metadata says first (checked by
    `_defaults`), then the deck config or command line (`read`), else `auto`."""
    anki = _mapping(notebook.node.metadata.get("anki"))
    return str(anki.get("cells") or read.cells or "auto")


def _complete(draft: Draft, problems: Problems) -> bool:
    """A card without errors and with something on its front (Anki makes no card of none)."""
    if draft.broken:
        return False
    if not any(part.text.strip() for part in draft.front):
        problems.error(draft.source, "the card has nothing on its front")
        return False
    return True


def _cells(notebook: Notebook, problems: Problems, budget: TokenBudget) -> Iterator[Cell]:
    """The cells to look at, as the walk reaches them: not those tagged `skip`."""
    above: int | None = None
    for index, node in enumerate(notebook.node.cells):
        source = Source(notebook.path, 1, cell=index + 1)
        tags = _cell_tags(node, source, problems)
        mark = problems.mark()
        role = _role(tags, source, problems)
        if "skip" not in tags and not problems.errors_since(mark):
            yield Cell(node, source, notebook.saved_ids[index], tags, role, above, budget)
            above = index + 1


def _defaults(notebook: Notebook, root: Path, deck: str | None, problems: Problems) -> Settings:
    """Notebook metadata `anki: {deck, tags, cells}`; `--deck` wins over its deck."""
    source = Source(notebook.path)
    anki = notebook.node.metadata.get("anki", {})
    if not isinstance(anki, dict):
        raise SourceError("notebook metadata 'anki' must be a mapping (deck, tags, cells)", source)
    unknown = sorted(set(anki) - METADATA_KEYS)
    if unknown:
        raise SourceError(f"unknown key '{unknown[0]}' in notebook metadata 'anki'", source)
    default_deck = anki.get("deck")
    if default_deck is not None and not isinstance(default_deck, str):
        raise SourceError("notebook metadata 'anki.deck' must be a text", source)
    cells = anki.get("cells")
    if cells is not None and cells not in CELL_MODES:
        known = ", ".join(CELL_MODES)
        shown = f"'{cells}'" if isinstance(cells, str) else json.dumps(cells)
        raise SourceError(
            f"notebook metadata 'anki.cells' must be one of {known}, not {shown}", source
        )
    return Settings(
        deck=deck or default_deck or deck_from_path(notebook.path, root),
        tags=checked_tags(split_tags(anki.get("tags"), source), source, problems),
    )


def _language(metadata: Any, path: Path, problems: Problems) -> str | None:
    """The kernel's Pygments lexer, falling back to its language name (`ipython3` is
    Python: see syntax/languages.py)."""
    info, spec = (_mapping(metadata.get(key)) for key in ("language_info", "kernelspec"))
    names = [info.get("pygments_lexer"), info.get("name"), spec.get("language")]
    named = [name for name in names if isinstance(name, str) and name]
    for name in named:
        if languages.is_known_language(name):
            return languages.canonical(name)
    if named:
        problems.warning(
            Source(path), f"unknown kernel language '{named[0]}': code shown as plain text"
        )
    return None


def _mapping(value: Any) -> dict[str, Any]:
    """Metadata Jupyter does not need, ignored when it is not a mapping, as Jupyter does."""
    return value if isinstance(value, dict) else {}


def _cell_tags(node: Any, source: Source, problems: Problems) -> frozenset[str]:
    tags = node.get("metadata", {}).get("tags", [])
    if not isinstance(tags, list):
        problems.warning(source, "cell tags must be a list; ignored")
        return frozenset()
    return frozenset(str(tag).strip().lower() for tag in tags)


def _role(tags: frozenset[str], source: Source, problems: Problems) -> str | None:
    roles = [role for role in ROLE_TAGS if role in tags]
    if len(roles) > 1:
        listed = " and ".join(f"'{role}'" for role in roles)
        problems.error(source, f"a cell can be tagged card, front or back, not {listed}")
    return roles[0] if roles else None


def _cell_text(cell: Any) -> str:
    return str(cell.get("source", "")).replace("\r\n", "\n").replace("\r", "\n")


def _meta_settings(
    text: str, settings: Settings, source: Source, problems: Problems
) -> Settings | None:
    """The new settings if every line of the cell is `DECK =`, `TAGS =` or `URL =`."""
    lines = [line for line in text.split("\n") if line.strip()]
    matches = [META_LINE_RE.match(line) for line in lines]
    if not lines or not all(matches):
        if any(matches):
            problems.warning(
                source, "a DECK/TAGS/URL line among other text is card text, not a setting"
            )
        return None
    result = replace(settings)
    for match in matches:
        assert match is not None
        key, value = match.group(1).lower(), _unquote(match.group(2))
        if key == "deck":
            result.deck = value or settings.deck
        elif key == "tags":
            result.tags = checked_tags(value.split(), source, problems)
        else:
            result.url = value or None
    return result


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _is_heading_only(text: str) -> bool:
    """Headings structure a notebook; blank cells hold nothing either."""
    return all(HEADING_LINE_RE.match(line) for line in text.split("\n") if line.strip())


def _markdown_cell(
    previous: Draft | None,
    cell: Cell,
    text: str,
    settings: Settings,
    problems: Problems,
    mode: str,
) -> Draft | None:
    """A card of its own, or (tagged `front` / `back`) text added to the card above."""
    if cell.role in ("front", "back"):
        if previous is None:
            problems.error(cell.source, f"a '{cell.role}' cell needs a card above it to join")
        else:
            _join_markdown(previous, cell, text, problems)
        return None
    return _markdown_draft(cell, text, settings, problems, mode)


def _is_marked(cell: Cell, parts: body.Body) -> bool:
    """Card markup, what `marked` and `auto` look for: a card/front/back cell tag (on any
    cell), or the card grammar in the text (a separator line, cloze or type-in markers)."""
    return cell.role is not None or parts.has_card_markup


def _markdown_draft(
    cell: Cell, text: str, settings: Settings, problems: Problems, mode: str
) -> Draft | None:
    """A markdown cell as a card: the card-body grammar of a Markdown note. In `marked`
    mode a cell without card markup is prose, not a card: nothing about it is reported."""
    source = cell.source
    prose = Problems()  # what the cell's parse finds is said only if the cell is a card
    parts = _parts(text, source, prose, cell.budget)
    marked = _is_marked(cell, parts)
    if mode == "marked" and not marked:
        return None
    mark = problems.mark()
    problems.extend(prose.items)
    body.check((parts.front, parts.back, parts.hint), source, problems)
    if body.has_markers(parts.back, parts.hint):
        place = body.markers_place((parts.back, parts.hint), source)
        problems.error(place, "cloze and type-in markers belong before the '-' line")
    reverse = "reverse" in cell.tags
    if reverse and not parts.split:
        problems.warning(source, "the 'reverse' tag needs a '-' line with an answer after it")
    kind = body.kind_of(parts.front, parts.image, reverse)
    if parts.split and not parts.back.text.strip() and kind not in (Kind.CLOZE, Kind.TYPE_IN):
        problems.warning(source, "the card has no answer after its '-' line")
    attachments = _attachments(cell, problems)
    if problems.errors_since(mark):
        return None
    return Draft(
        front=[parts.front],
        back=[parts.back],
        hint=parts.hint,
        source=source,
        title=_title(parts, cell),
        settings=settings,
        cell_id=cell.cell_id,
        question=parts.front,
        cell=cell.number,
        answerable=not parts.split,
        image=parts.image,
        reverse=reverse and parts.split,
        attachments=attachments,
        marked=marked,
    )


def _parts(text: str, source: Source, problems: Problems, budget: TokenBudget) -> body.Body:
    """A markdown cell parsed once, split at its separator lines."""
    tokens, env = engine.parse_blocks(text, budget)
    lines = text.split("\n")
    finished = engine.finish_source(tokens, env)
    split = body.split_body(tokens, lines, (0, len(lines)), env, source, problems, finished)
    for part in (split.front, split.back, split.hint):
        body.in_cell(part, source.cell or 0)
    return split


def _join_markdown(draft: Draft, cell: Cell, text: str, problems: Problems) -> None:
    part = body.in_cell(body.text_part(text, 1, cell.budget), cell.number)
    body.check((part,), cell.source, problems)
    if cell.role == "back" and body.has_markers(part):
        problems.error(cell.source, "cloze and type-in markers belong on the front")
    if cell.role == "front":
        draft.front.append(part)
        draft.question = body.join(draft.question, part)
    else:
        draft.back.append(part)
    _joined(draft, cell, _attachments(cell, problems), problems)


def _code_cell(
    previous: Draft | None,
    cell: Cell,
    language: str | None,
    settings: Settings,
    problems: Problems,
) -> Draft | None:
    """A `card` code cell is a card (or the answer to the question right above it);
    `front` and `back` add its code and outputs to the card above."""
    mark = problems.mark()
    code = outputs.code_cell(cell.node, cell.number, language, cell.source, problems)
    shown = _shown(code, cell)
    if cell.role == "card" and _answers(previous, cell):
        assert previous is not None
        previous.back.extend(shown)
        _joined(previous, cell, code.attachments, problems)
        return None
    if cell.role == "card":
        if problems.errors_since(mark):
            return None  # a broken output: no card rather than a card without it
        if not cell.node.get("outputs"):
            problems.warning(cell.source, "the code card has no outputs: run and save the notebook")
        return Draft(
            front=[shown[0]],
            back=[shown[1]],
            hint=EMPTY,
            source=cell.source,
            title=f"code cell {cell.number}",
            settings=settings,
            cell_id=cell.cell_id,
            question=EMPTY,
            cell=cell.number,
            answerable=False,
            attachments=dict(code.attachments),
        )
    if previous is None:
        problems.error(cell.source, f"a '{cell.role}' cell needs a card above it to join")
        return None
    (previous.front if cell.role == "front" else previous.back).extend(shown)
    _joined(previous, cell, code.attachments, problems)
    return None


def _answers(draft: Draft | None, cell: Cell) -> bool:
    """Is the card above a one-sided markdown question right above this `card` cell?"""
    return draft is not None and draft.answerable and draft.cell == cell.above


def _shown(code: outputs.CellMarkdown, cell: Cell) -> tuple[Part, Part]:
    """Code and outputs, minus what Jupyter Book's remove-/hide- tags leave out."""
    source = "" if cell.tags & {"remove-input", "hide-input"} else code.code
    shown = "" if cell.tags & {"remove-output", "hide-output"} else code.outputs
    parts = (body.text_part(text, None, cell.budget) for text in (source, shown))
    code_part, outputs_part = (body.in_cell(part, cell.number) for part in parts)
    return code_part, outputs_part


def _joined(draft: Draft, cell: Cell, files: dict[str, bytes], problems: Problems) -> None:
    """Bookkeeping after a cell joined a card: it is answered, and its images come along."""
    draft.cell = cell.number
    draft.answerable = False
    for name, data in files.items():
        if draft.attachments.get(name, data) != data:
            message = f"two cells of one card attach different images named '{name}'"
            problems.error(cell.source, message)
        draft.attachments[name] = data


def _attachments(cell: Cell, problems: Problems) -> dict[str, bytes]:
    """A markdown cell's `attachment:` images, decoded from the notebook."""
    files: dict[str, bytes] = {}
    source = cell.source
    for name, bundle in (cell.node.get("attachments") or {}).items():
        if not isinstance(bundle, dict) or not bundle:
            problems.error(source, f"attachment '{name}' has no data")
            continue
        mime, data = next(iter(bundle.items()))
        text = "".join(data) if isinstance(data, list) else str(data)
        decoded = text.encode() if mime == "image/svg+xml" else outputs.decode_base64(text)
        if decoded is None:
            problems.error(source, f"attachment '{name}' is not valid base64")
        else:
            files[name] = decoded
    return files


def _title(parts: body.Body, cell: Cell) -> str:
    """The cell's first line of text, for the Source field: plain text (headings lose
    their `#`, images show their alt text); a cell of none gives its file and number."""
    tokens = (token for part in (parts.front, parts.back, parts.hint) for token in part.tokens)
    return titles.title(tokens, f"{cell.source.path.name}, cell {cell.number}")


def _note(draft: Draft, root: Path, language: str | None) -> Note:
    front, back = body.join(*draft.front), body.join(*draft.back)
    return Note(
        kind=body.kind_of(draft.question, draft.image, draft.reverse),
        front=front.text,
        back=back.text,
        hint=draft.hint.text,
        deck=draft.settings.deck,
        tags=draft.settings.tags,
        source=draft.source,
        title=draft.title,
        root=root,
        cell_id=draft.cell_id,
        url=draft.settings.url,
        code_language=language,  # for indented code in markdown cells
        attachments=draft.attachments,
        parts=(front, back, draft.hint),
    )
