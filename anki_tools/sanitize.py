"""Raw HTML in sources is sanitized with nh3 (ammonia): harmless markup stays,
scripts, frames and event handlers go."""

from __future__ import annotations

from collections.abc import Callable

import nh3

# Removed together with everything inside them.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template"}
# `section` holds the footnotes that markdown-it writes; like `article`, it is only a box.
ALLOWED_TAGS = (set(nh3.ALLOWED_TAGS) | {"section"}) - DROPPED_WITH_CONTENT
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(values) for tag, values in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"class", "id", "title", "lang", "dir", "style"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "details": {"open"},
    "ol": {"start", "type"},
}
SAFE_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "text-decoration",
    "text-align",
    "vertical-align",
    "width",
    "height",
    "max-width",
}
# `attachment:` is a notebook cell's image; the attribute filter resolves it to media.
URL_SCHEMES = {"http", "https", "mailto", "attachment"}

AttributeFilter = Callable[[str, str, str], "str | None"]


def sanitize(markup: str, attribute_filter: AttributeFilter | None = None) -> str:
    """Keep harmless markup; `attribute_filter` may rewrite attributes (image paths)."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=URL_SCHEMES,
        filter_style_properties=SAFE_STYLE_PROPERTIES,
        link_rel="noopener noreferrer",
    )
