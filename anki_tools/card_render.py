"""Card sides as Anki renders them, for the preview page (Anki itself is not a dependency).

Covers the template syntax our note types use: `{{Field}}`, `{{#Field}}…{{/Field}}`,
`{{^Field}}…{{/Field}}`, `{{Tags}}`, `{{FrontSide}}` and `{{cloze:Field}}` with Anki's
cloze markup. Other filters (`hint:`, `type:`) render empty here.
The tests compare the result with what the real Anki backend renders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .templates import NoteType

SECTION_RE = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.DOTALL)
REPLACEMENT_RE = re.compile(r"\{\{([^#^/}][^}]*)\}\}")
CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::([^{}]*?))?\}\}", re.DOTALL)
CLOZE_ORDINAL_RE = re.compile(r"\{\{c(\d+)::")
MINIMAL_ENTITIES = {'"': "&quot;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}


@dataclass(frozen=True)
class CardSides:
    """One card of a note: which template (or cloze number) and its two sides."""

    name: str
    question: str
    answer: str


def cards_of(note_type: NoteType, fields: dict[str, str], tags: tuple[str, ...]) -> list[CardSides]:
    """Every card Anki makes of a note: one per template, or one per cloze number."""
    # Anki keeps a note's tags sorted without regard to case.
    values = {**fields, "Tags": " ".join(sorted(set(tags), key=str.casefold))}
    if note_type.cloze:
        template = note_type.cards[0]
        ordinals = sorted(
            {int(n) for text in fields.values() for n in CLOZE_ORDINAL_RE.findall(text)}
        )
        return [
            _sides(f"Cloze {ordinal}", template.front, template.back, values, ordinal)
            for ordinal in ordinals or [1]
        ]
    return [
        _sides(card.name, card.front, card.back, values)
        for card in note_type.cards
        if values.get(_first_field(card.front), "").strip()  # Anki makes no card of an empty front
    ]


def _sides(name: str, front: str, back: str, values: dict[str, str], ordinal: int = 0) -> CardSides:
    question = render(front, values, ordinal, question=True)
    answer = render(back, {**values, "FrontSide": question}, ordinal, question=False)
    return CardSides(name, question, answer)


def render(template: str, values: dict[str, str], ordinal: int = 0, question: bool = True) -> str:
    """One side: sections first (they may hold replacements), then the replacements."""
    text = _sections(template, values)
    return REPLACEMENT_RE.sub(lambda m: _replacement(m.group(1), values, ordinal, question), text)


def _sections(template: str, values: dict[str, str]) -> str:
    def section(match: re.Match[str]) -> str:
        kind, name, inner = match.group(1), match.group(2).strip(), match.group(3)
        filled = bool(values.get(name, "").strip())
        return _sections(inner, values) if filled == (kind == "#") else ""

    return SECTION_RE.sub(section, template)


def _replacement(tag: str, values: dict[str, str], ordinal: int, question: bool) -> str:
    name = tag.strip()
    if name.startswith("cloze:"):
        return cloze(values.get(name[len("cloze:") :], ""), ordinal, question)
    return values.get(name, "")


def cloze(text: str, ordinal: int, question: bool) -> str:
    """Anki's cloze markup: the active gap asked (or answered), the others shown as text."""

    def gap(match: re.Match[str]) -> str:
        number, answer, hint = int(match.group(1)), match.group(2), match.group(3)
        if number != ordinal:
            return f'<span class="cloze-inactive" data-ordinal="{number}">{answer}</span>'
        if not question:
            return f'<span class="cloze" data-ordinal="{number}">{answer}</span>'
        shown = f"[{hint}]" if hint else "[...]"
        return (
            f'<span class="cloze" data-cloze="{attribute_escape(answer)}" '
            f'data-ordinal="{number}">{shown}</span>'
        )

    return CLOZE_RE.sub(gap, text)


def attribute_escape(text: str) -> str:
    """Escape as Anki does for `data-cloze`: every non-alphanumeric Latin-1 character."""
    out = []
    for char in text:
        code = ord(char)
        if char in MINIMAL_ENTITIES:
            out.append(MINIMAL_ENTITIES[char])
        elif code < 256 and (code > 127 or not (char.isascii() and char.isalnum())):
            out.append(f"&#x{code:02X};")
        else:
            out.append(char)
    return "".join(out)


def _first_field(template: str) -> str:
    match = REPLACEMENT_RE.search(template)
    return match.group(1).strip() if match else ""
