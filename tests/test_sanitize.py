"""The sanitizer: which cleaner a field goes through must not change what survives."""

from __future__ import annotations

import pytest

from anki_tools.sanitize import sanitize


def keep(tag: str, attribute: str, value: str) -> str | None:
    return value


def resolve(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return "resolved-" + value.removeprefix("attachment:")
    return None if value.startswith("attachment:") else value


@pytest.mark.parametrize("attribute_filter", [None, keep])
def test_a_link_to_an_attachment_is_dropped_without_an_image_to_resolve(attribute_filter):
    # The reused cleaner (no image in the markup) has no filter to resolve attachments.
    html = sanitize('<a href="attachment:a.png">a</a>', attribute_filter)
    assert html == '<a rel="noopener noreferrer">a</a>'


@pytest.mark.parametrize("tag", ["img", "IMG", "image"])
def test_an_image_goes_through_the_filter(tag):
    html = sanitize(f'<p><{tag} src="attachment:a.png" alt="x"></p>', resolve)
    assert html == '<p><img src="resolved-a.png" alt="x"></p>'


def test_without_a_filter_an_image_keeps_its_path():
    assert sanitize('<img src="pics/a.png">') == '<img src="pics/a.png">'


@pytest.mark.parametrize("attribute_filter", [None, resolve])
def test_scripts_and_handlers_go_with_either_cleaner(attribute_filter):
    html = sanitize(
        '<b onclick="x()">b</b><script>evil()</script><a href="javascript:x()">a</a>',
        attribute_filter,
    )
    assert html == '<b>b</b><a rel="noopener noreferrer">a</a>'
