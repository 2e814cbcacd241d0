from pathlib import Path

from anki_tools import build
from conftest import FIXED_TIME


def test_builds_and_imports(write_notes, anki, tmp_path: Path) -> None:
    root = write_notes({"python/basics.md": "## What is 1+1?\n\n2\n"})
    result = build([root], tmp_path / "out.apkg", timestamp=FIXED_TIME)
    assert result.written, result.problems
    assert anki.import_deck(tmp_path / "out.apkg") == (1, 0, 0)
    (card,) = anki.cards()
    assert card.deck == "python"
    assert "<p>2</p>" in card.answer
