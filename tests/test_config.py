"""Deck configs: `decks/NAME.yaml` → DeckSpec, its globs → files, its deck description."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from anki_tools.config import load_deck_config, source_files
from anki_tools.errors import AnkiToolsError, ConfigError
from anki_tools.notes import DeckSpec, Source
from anki_tools.render.renderer import deck_description


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder (the one that holds `decks/`), named `proj`."""
    folder = tmp_path / "proj"
    (folder / "decks").mkdir(parents=True)
    return folder


def write_config(project: Path, text: str, name: str = "x") -> Path:
    path = project / "decks" / f"{name}.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_files(project: Path, *names: str) -> None:
    for name in names:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"## {name}\n\nAnswer.\n", encoding="utf-8")


def config_error(project: Path, text: str) -> AnkiToolsError:
    path = write_config(project, text)
    with pytest.raises(AnkiToolsError) as caught:
        load_deck_config(path)
    return caught.value


def files_of(spec: DeckSpec, warnings: list[str] | None = None) -> list[str]:
    found = source_files(spec, (warnings if warnings is not None else []).append)
    return [path.relative_to(spec.project).as_posix() for path in found]


# --- load_deck_config ---------------------------------------------------------------------


def test_a_full_config_sets_every_field(project: Path) -> None:
    """Every key lands in the DeckSpec; paths are relative to the project folder."""
    path = write_config(
        project,
        """
        name: Python basics
        description: |
          Cards about **Python**.
        sources:
          - notes/python/**/*.md
          - notes/extra
        output: build/python.apkg
        tags: [python, "shared  deck"]
        theme: paper
        url: https://example.org/notes
        """,
    )
    assert load_deck_config(path) == DeckSpec(
        config=path,
        project=project.resolve(),
        name="Python basics",
        description="Cards about **Python**.",
        sources=("notes/python/**/*.md", "notes/extra"),
        output=project.resolve() / "build" / "python.apkg",
        tags=("python", "shared", "deck"),
        theme="paper",
        url="https://example.org/notes",
    )


def test_a_config_with_only_sources_gets_the_defaults(project: Path) -> None:
    """Deck name and output come from the file name; no tags, theme, url or description."""
    path = write_config(project, "sources: notes\n", name="history")
    spec = load_deck_config(path)
    assert (spec.name, spec.description, spec.sources) == ("history", "", ("notes",))
    assert spec.output == project.resolve() / "decks" / "history.apkg"
    assert (spec.tags, spec.theme, spec.url) == ((), None, None)


def test_tags_may_be_one_space_separated_string(project: Path) -> None:
    """`tags: a b  c` is three tags, as in front matter."""
    path = write_config(project, "sources: notes\ntags: a b  c\n")
    assert load_deck_config(path).tags == ("a", "b", "c")


def test_a_yml_config_is_read_too(project: Path) -> None:
    """`decks/NAME.yml` works like `.yaml`, output named after the stem."""
    path = project / "decks" / "short.yml"
    path.write_text("sources: notes\n", encoding="utf-8")
    spec = load_deck_config(path)
    assert (spec.name, spec.output.name) == ("short", "short.apkg")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            "sources: notes\nname: a: b\n",
            2,
            "invalid YAML: mapping values are not allowed here",
            id="invalid-yaml",
        ),
        pytest.param(
            "sources: notes\n\tname: x\n",
            2,
            "invalid YAML: found character '\\t' that cannot start any token",
            id="tab",
        ),
        pytest.param(
            "- notes/*.md\n", 1, "a deck config is a mapping: name, sources, …", id="a-list"
        ),
        pytest.param("", 1, "a deck config is a mapping: name, sources, …", id="empty-file"),
        pytest.param(
            "name: Python\nsource: notes\n",
            2,
            "unknown key 'source' (did you mean 'sources'?)",
            id="typo-key",
        ),
        pytest.param(
            "sources: notes\n\ncolour: red\n",
            3,
            "unknown key 'colour' (known: name, description, sources, output, tags, theme, url, "
            "no_remote, cells, card_level, include_readme)",
            id="unknown-key",
        ),
        pytest.param(
            "name: Python\n", 1, "'sources' must be a glob or a list of globs", id="no-sources"
        ),
        pytest.param(
            "name: Python\nsources: []\n",
            2,
            "'sources' must be a glob or a list of globs",
            id="empty-sources",
        ),
        pytest.param(
            "name: Python\nsources: 5\n",
            2,
            "'sources' must be a glob or a list of globs",
            id="number-sources",
        ),
        pytest.param(
            "name: Python\nsources:\n  - notes\n  - 5\n",
            2,
            "'sources' must be a glob or a list of globs",
            id="number-in-sources",
        ),
        pytest.param(
            "name: Python\n\nsources: /etc/*.md\n",
            3,
            "'/etc/*.md': sources stay inside the project folder",
            id="absolute-glob",
        ),
        pytest.param(
            "sources:\n  - notes\n  - notes/../../other/*.md\n",
            1,
            "'notes/../../other/*.md': sources stay inside the project folder",
            id="dotdot-glob",
        ),
        pytest.param(
            "sources: notes\noutput: decks/x.zip\n",
            2,
            "'output' must end in .apkg",
            id="output-not-apkg",
        ),
        pytest.param("sources: notes\noutput: 5\n", 2, "'output' must be text", id="output-number"),
        pytest.param("sources: notes\nname: [a]\n", 2, "'name' must be text", id="name-list"),
        pytest.param(
            "sources: notes\ndescription:\n  a: b\n",
            2,
            "'description' must be text",
            id="description-mapping",
        ),
        pytest.param("sources: notes\ntheme: [a]\n", 2, "'theme' must be text", id="theme-list"),
        pytest.param("sources: notes\n\n\nurl: 5\n", 4, "'url' must be text", id="url-number"),
        pytest.param(
            "sources: notes\ntags: {a: b}\n",
            2,
            "'tags' must be a list or a space-separated string",
            id="tags-mapping",
        ),
    ],
)
def test_a_config_mistake_names_its_line(project: Path, text: str, line: int, message: str) -> None:
    """Each bad config raises an error at the line of the key (or of the YAML problem)."""
    error = config_error(project, text)
    assert error.source == Source(project / "decks" / "x.yaml", line)
    assert error.message.startswith(message), error.message


def test_config_errors_are_config_errors(project: Path) -> None:
    """A bad key is a ConfigError, so callers can tell it from a bad source file."""
    assert isinstance(config_error(project, "sources: notes\nnmae: x\n"), ConfigError)


def test_a_config_error_reads_path_colon_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message is `decks/x.yaml:LINE: message`, the path relative to the working folder."""
    monkeypatch.chdir(project)
    error = config_error(project, "name: Python\nsources: notes\nthem: paper\n")
    assert str(error) == "decks/x.yaml:3: unknown key 'them' (did you mean 'theme'?)"


def test_an_unknown_non_text_key_names_its_line(project: Path) -> None:
    """A key YAML reads as a number (`2024: …`) is still reported at its own line."""
    error = config_error(project, "name: Python\nsources: notes\n2024: notes/2024\n")
    assert error.message.startswith("unknown key '2024'")
    assert error.source == Source(project / "decks" / "x.yaml", 3)


# --- source_files -------------------------------------------------------------------------


def test_globs_and_folders_give_their_notes_in_a_fixed_order(project: Path) -> None:
    """Globs in config order, each sorted; a matched folder brings every note under it."""
    write_files(
        project,
        "notes/b/two.md",
        "notes/b/one.md",
        "notes/a/z.md",
        "notes/a/sub/deep.md",
        "notes/a/nb.ipynb",
        "notes/c/other.md",
    )
    (project / "notes" / "a" / "picture.png").write_bytes(b"png")
    spec = load_deck_config(write_config(project, "sources: [notes/b/*.md, notes/a]\n"))
    assert files_of(spec) == [
        "notes/b/one.md",
        "notes/b/two.md",
        "notes/a/nb.ipynb",
        "notes/a/sub/deep.md",
        "notes/a/z.md",
    ]


def test_readme_and_hidden_files_and_folders_are_skipped(project: Path) -> None:
    """README.md (any case), dot files and everything in dot folders are not notes."""
    write_files(
        project,
        "notes/card.md",
        "notes/README.md",
        "notes/sub/readme.md",
        "notes/.draft.md",
        "notes/.cache/copy.md",
        "notes/sub/kept.md",
    )
    for sources in ("notes", "notes/**/*.md", "[notes/*.md, notes/sub/*.md]"):
        spec = load_deck_config(write_config(project, f"sources: {sources}\n"))
        assert sorted(files_of(spec)) == ["notes/card.md", "notes/sub/kept.md"], sources


def test_overlapping_globs_give_each_file_once(project: Path) -> None:
    """A file matched by several globs is listed once, where it was first found."""
    write_files(project, "notes/a.md", "notes/sub/b.md", "other/c.md")
    spec = load_deck_config(
        write_config(
            project,
            """
            sources:
              - notes/sub/*.md
              - notes
              - notes/**/*.md
              - other/c.md
              - other
            """,
        )
    )
    assert files_of(spec) == ["notes/sub/b.md", "notes/a.md", "other/c.md"]


def test_source_files_are_the_same_each_time(project: Path) -> None:
    """Two calls give the same list: builds do not depend on directory order."""
    write_files(project, *(f"notes/n{i}.md" for i in (5, 3, 9, 1, 7)))
    spec = load_deck_config(write_config(project, "sources: notes/*.md\n"))
    assert files_of(spec) == files_of(spec) == [f"notes/n{i}.md" for i in (1, 3, 5, 7, 9)]


def test_a_glob_matching_nothing_warns(project: Path) -> None:
    """Each glob without notes gives one warning; the other globs still count."""
    write_files(project, "notes/a.md")
    (project / "pictures").mkdir()
    (project / "pictures" / "p.png").write_bytes(b"png")
    spec = load_deck_config(
        write_config(project, "sources: [notes, missing/*.md, pictures, notes/a.md]\n")
    )
    warnings: list[str] = []
    assert files_of(spec, warnings) == ["notes/a.md"]
    assert warnings == [
        "'missing/*.md' matches no notes or notebooks",
        "'pictures' matches no notes or notebooks",
    ]


def test_a_glob_matching_only_skipped_files_warns(project: Path) -> None:
    """A glob whose only matches are hidden files brings no notes: it warns. A README a
    glob brings is left out with a warning of its own; one named by its path is built."""
    write_files(project, "notes/a.md", "notes/README.md", "drafts/.wip.md", "other/README.md")
    spec = load_deck_config(
        write_config(project, "sources: [notes/a.md, notes/README.md, drafts, other/*.md]\n")
    )
    warnings: list[str] = []
    assert files_of(spec, warnings) == ["notes/a.md", "notes/README.md"]
    assert warnings[0] == "'drafts' matches no notes or notebooks"
    assert warnings[1].startswith("skipped ")
    assert "other/README.md: a README usually describes" in warnings[1]
    assert len(warnings) == 2


# --- deck_description ---------------------------------------------------------------------


def spec_for(project: Path, text: str) -> DeckSpec:
    return load_deck_config(write_config(project, text))


def test_description_is_rendered_markdown_then_the_origin(project: Path) -> None:
    """The Markdown becomes HTML, followed by the project, the globs and the config path."""
    spec = spec_for(
        project,
        """
        description: |
          Cards about **Python**.

          - one
          - two
        sources: [notes/*.md, "more/<b>"]
        """,
    )
    assert deck_description(spec) == (
        "<p>Cards about <strong>Python</strong>.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        '<p class="at-origin">Built with anki-tools from <code>notes/*.md</code>, '
        "<code>more/&lt;b&gt;</code> (deck config <code>decks/x.yaml</code>).</p>"
    )


def test_no_description_gives_only_the_origin(project: Path) -> None:
    """Without a description the deck shows just where it comes from."""
    spec = spec_for(project, "sources: notes\n")
    assert deck_description(spec) == (
        '<p class="at-origin">Built with anki-tools from <code>notes</code> '
        "(deck config <code>decks/x.yaml</code>).</p>"
    )


def test_description_html_is_sanitized(project: Path) -> None:
    """A script, an event handler or a javascript: link in the description does not survive."""
    spec = spec_for(
        project,
        """
        description: |
          Hello <script>alert("owned")</script> there.

          <img src="x.png" onerror="alert(2)"> [click](javascript:alert(3))
        sources: notes
        """,
    )
    described = deck_description(spec)
    assert "<script" not in described
    assert "alert" not in described
    assert "onerror" not in described
    assert "javascript" not in described
    assert "Hello" in described
    assert "there." in described
    assert '<img src="x.png">' in described


@pytest.mark.parametrize("url", ["https://example.org/a?b=1&c=2", "http://example.org/"])
def test_an_http_url_links_the_origin(project: Path, url: str) -> None:
    """An http(s) `url` is added as an escaped link."""
    spec = spec_for(project, f"sources: notes\nurl: '{url}'\n")
    escaped = url.replace("&", "&amp;")
    assert deck_description(spec) == (
        '<p class="at-origin">Built with anki-tools from <code>notes</code> (deck config '
        f'<code>decks/x.yaml</code>) in <a href="{escaped}">{escaped}</a>.</p>'
    )


def test_the_description_does_not_name_the_project_folder(project: Path) -> None:
    """The same sources give the same deck in any clone, whatever its folder is called."""
    spec = spec_for(project, "sources: notes\n")
    assert project.name not in deck_description(spec)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "example.org"]
)
def test_an_unsafe_or_relative_url_is_not_linked(project: Path, url: str) -> None:
    """A url that is not http(s) is left out: no link, no text."""
    spec = spec_for(project, f"sources: notes\nurl: '{url}'\n")
    described = deck_description(spec)
    assert "<a " not in described
    assert url not in described
    assert described.endswith("(deck config <code>decks/x.yaml</code>).</p>")
