"""A notebook code cell → Markdown: its code as a literal fence, its outputs below it.

Everything a code cell contributes is shown as it is (no cloze or type-in markers),
so code and text outputs become `literal` fences; images become attachments of the
card, embedded under content-hash names like any other image; HTML outputs go in a
raw-HTML fence, which the renderer sanitizes once, box and all.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..errors import Problems
from ..notes import Source
from ..sanitize import HtmlNesting, shows_anything
from ..syntax.options import RAW_HTML, defused

ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
BACKTICKS_RE = re.compile(r"`{3,}")

IMAGE_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}
# The richest kind of output a card can show first; an HTML output that is nothing
# once sanitized (a script-driven widget or chart) falls through to the next one.
MIME_PRIORITY = ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown")


@dataclass
class CellMarkdown:
    """What one code cell adds to a card: Markdown, and the images it refers to."""

    code: str = ""
    outputs: str = ""
    attachments: dict[str, bytes] = field(default_factory=dict)


def code_cell(
    cell: Any, number: int, language: str | None, source: Source, problems: Problems
) -> CellMarkdown:
    """The code fence and the outputs of one code cell (a broken output is reported)."""
    result = CellMarkdown()
    code = cell.get("source", "").replace("\r\n", "\n").strip("\n")
    if code.strip():
        result.code = literal_fence(code, language or "text")
    parts = []
    for index, output in enumerate(_merged_streams(cell.get("outputs", [])), 1):
        part = _output(output, f"output-{number}-{index}", result.attachments, source, problems)
        if part:
            parts.append(part)
    result.outputs = "\n\n".join(parts)
    return result


def literal_fence(text: str, language: str) -> str:
    """A fence longer than any backtick run inside, marked literal: shown as it is."""
    longest = max((len(run) for run in BACKTICKS_RE.findall(text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language} literal\n{text}\n{fence}"


def _output(
    output: Any, name: str, attachments: dict[str, bytes], source: Source, problems: Problems
) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        stream = "stderr" if output.get("name") == "stderr" else "stdout"
        return _text_output(_terminal_text(output.get("text", "")), f"at-output-{stream}")
    if kind == "error":
        lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
        return _text_output(_terminal_text("\n".join(lines)), "at-output-error")
    if kind in ("execute_result", "display_data"):
        return _rich_output(output, name, attachments, source, problems)
    return ""


def _rich_output(
    output: Any, name: str, attachments: dict[str, bytes], source: Source, problems: Problems
) -> str:
    data = output.get("data", {})
    for mime in MIME_PRIORITY:
        if mime not in data:
            continue
        if mime in IMAGE_SUFFIXES:
            file_name = name + IMAGE_SUFFIXES[mime]
            image = _image_bytes(data[mime], mime)
            if image is None:
                problems.error(source, f"an output image ({mime}) is not valid base64")
                return ""
            attachments[file_name] = image
            size = output.get("metadata", {}).get(mime, {})
            return _image(file_name, size if isinstance(size, dict) else {})
        if mime in ("text/html", "text/markdown") and _nests_too_deep(data[mime], source, problems):
            return ""
        if mime == "text/html":
            markup = _text(data[mime])
            if shows_anything(markup):
                return literal_fence(
                    f'<div class="at-output at-output-html">\n{markup}\n</div>', RAW_HTML
                )
        if mime == "text/markdown":
            return defused(_text(data[mime]))
    if "text/plain" in data:
        return _text_output(_terminal_text(_text(data["text/plain"])), "at-output-result")
    return ""  # only kinds a card cannot show (widgets, JavaScript)


def _nests_too_deep(value: Any, source: Source, problems: Problems) -> bool:
    """HTML nested too deep for the sanitizer to read in good time (see HtmlNesting)."""
    if HtmlNesting(limits.HTML_MAX_NESTING).passes_limit(_text(value)) is None:
        return False
    limit = limits.HTML_MAX_NESTING
    problems.error(source, f"an output's HTML nests more than {limit} elements deep")
    return True


def _image(file_name: str, size: dict[str, Any]) -> str:
    attributes = "".join(
        f' {key}="{int(size[key])}"' for key in ("width", "height") if _is_number(size.get(key))
    )
    return (
        '<div class="at-output at-output-image">'
        f'<img src="attachment:{html.escape(file_name)}" alt="output"{attributes}>'
        "</div>"
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _image_bytes(value: Any, mime: str) -> bytes | None:
    if mime == "image/svg+xml":
        return _text(value).encode("utf-8")
    return decode_base64(_text(value))


def decode_base64(text: str) -> bytes | None:
    """Strict base64 (nbformat splits it into lines): None when it is not base64."""
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _text_output(text: str, css_class: str) -> str:
    if not text.strip():
        return ""
    fence = literal_fence(text.strip("\n"), "text")
    return f'<div class="at-output {css_class}">\n\n{fence}\n\n</div>'


def _terminal_text(value: Any) -> str:
    """Text as a terminal would show it: no colour codes, a `\\r` overwrites its line."""
    text = ANSI_RE.sub("", _text(value)).replace("\r\n", "\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def _text(value: Any) -> str:
    """nbformat joins multi-line strings when it reads; a list may still come from memory."""
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)


def _merged_streams(outputs: list[Any]) -> list[Any]:
    """Consecutive prints to the same stream are one block, as Jupyter shows them."""
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            text = _text(previous.get("text", "")) + _text(output.get("text", ""))
            merged[-1] = {**previous, "text": text}
        else:
            merged.append(output)
    return merged
