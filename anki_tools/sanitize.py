"""Raw HTML in sources is sanitized with nh3 (ammonia): harmless markup stays,
scripts, frames and event handlers go."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

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
ATTACHMENT_SCHEME = "attachment"
# An Obsidian embed `![[name]]` until the attribute filter finds its file (obsidian.py).
EMBED_SCHEME = "at-embed"
RESOLVED_SCHEMES = {ATTACHMENT_SCHEME, EMBED_SCHEME}
URL_SCHEMES = {"http", "https", "mailto", *RESOLVED_SCHEMES}

AttributeFilter = Callable[[str, str, str], "str | None"]

# What shows_anything takes away, as the sanitizer would: an element dropped with its
# content (up to its end tag, or to the end when it has none), a comment, any other tag.
DROPPED_RE = re.compile(
    rf"<({'|'.join(sorted(DROPPED_WITH_CONTENT))})\b.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)|<[!?][^>]*>", re.DOTALL)
TAG_RE = re.compile(r"<[^>]*>")
SHOWN_IMAGE_RE = re.compile(r"<im(?:g|age)\b", re.IGNORECASE)


# Where the attribute filter has work to do: an image (HTML parsers read `<image` as
# `<img` too). Other markup goes through one reused cleaner, without a Python callback
# per attribute: building the sanitizer's sets for every field was a third of its time.
IMAGE_TAG_RE = re.compile("<im", re.IGNORECASE)


def sanitize(markup: str, attribute_filter: AttributeFilter | None = None) -> str:
    """Keep harmless markup; `attribute_filter` may rewrite attributes (image paths)."""
    if attribute_filter is None or not IMAGE_TAG_RE.search(markup):
        return _cleaner().clean(markup)
    return _cleaner_with(attribute_filter).clean(markup)


def shows_anything(markup: str) -> bool:
    """Whether markup keeps some text or an image once sanitized, judged without
    sanitizing it (that is done once, by the renderer): a script-driven widget is
    nothing but a script and an empty box."""
    kept = COMMENT_RE.sub("", DROPPED_RE.sub("", markup))
    return bool(TAG_RE.sub("", kept).strip()) or SHOWN_IMAGE_RE.search(kept) is not None


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    # Without a filter to resolve them, `attachment:` URLs have nothing to point at.
    return _cleaner_with(None, URL_SCHEMES - RESOLVED_SCHEMES)


def _cleaner_with(
    attribute_filter: AttributeFilter | None, url_schemes: set[str] = URL_SCHEMES
) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=url_schemes,
        filter_style_properties=SAFE_STYLE_PROPERTIES,
        link_rel="noopener noreferrer",
    )


# Tags that open nothing to nest in (void elements), or that the parser closes at the
# next one of their kind (optional end tags): neither deepens its stack of open elements.
FLAT_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
FLAT_TAGS |= {"param", "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup"}
FLAT_TAGS |= {"tr", "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt"}
FLAT_TAGS |= {"rp", "rtc", "html", "head", "body"}
NESTING_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)|<!--|-->")


class HtmlNesting:
    """How deep raw HTML nests, read piece by piece as a field holds it: html5ever (nh3's
    parser) takes time proportional to its open elements for each tag, so HTML nested
    100,000 deep takes a minute. Elements never closed count as open."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: Counter[str] = Counter()
        self.depth = 0
        self.in_comment = False
        self.passed = False

    def passes_limit(self, html: str) -> int | None:
        """Read the next piece; the offset in it where the nesting first passes the limit."""
        for match in NESTING_RE.finditer(html):
            token, name = match.group(), match.group(2)
            if self.in_comment:
                self.in_comment = token != "-->"
                continue
            if name is None:  # `<!--`, or a `-->` that ends nothing
                self.in_comment = token == "<!--"
                continue
            name = name.lower()
            if name in FLAT_TAGS:
                continue
            if match.group(1):
                if self.open[name]:
                    self.open[name] -= 1
                    self.depth -= 1
                continue
            self.open[name] += 1
            self.depth += 1
            if self.depth > self.limit and not self.passed:
                self.passed = True
                return match.start()
        return None
