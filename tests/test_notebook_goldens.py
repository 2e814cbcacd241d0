"""Golden tests: notebook cells (as YAML) → the HTML fields of the notes they become."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from anki_tools.errors import Problems
from anki_tools.parsers import notebook
from anki_tools.render.renderer import Renderer
from anki_tools.templates import field_names

from fixture_file import Case, check_case, read_cases

GOLDENS = Path(__file__).parent / "goldens" / "notebook.txt"
CASES = read_cases(GOLDENS)
KERNEL = {"language_info": {"name": "python", "pygments_lexer": "ipython3"}}


def cells_from_yaml(text: str) -> list[nbformat.NotebookNode]:
    """`- markdown: text` or `- code: text` with optional `tags` and `outputs`."""
    cells = []
    for item in yaml.safe_load(text):
        tags = {"tags": item.get("tags", [])}
        if "markdown" in item:
            cells.append(new_markdown_cell(item["markdown"], metadata=tags))
        else:
            outputs = [nbformat.from_dict(_output(o)) for o in item.get("outputs", [])]
            cells.append(new_code_cell(item["code"], metadata=tags, outputs=outputs))
    return cells


def _output(output: dict[str, object]) -> dict[str, object]:
    """Rich outputs need a `metadata` mapping; the YAML leaves it out when it is empty."""
    if output["output_type"] in ("execute_result", "display_data"):
        return {"metadata": {}, **output}
    return output


def render(text: str, tmp_path: Path) -> str:
    path = tmp_path / "lesson.ipynb"
    nbformat.write(new_notebook(cells=cells_from_yaml(text), metadata=KERNEL), path)
    problems = Problems()
    renderer = Renderer(field_names())
    blocks = []
    for note in notebook.parse(path, tmp_path, None, problems):
        rendered = renderer.render(note, problems)
        blocks.append(f"[{note.kind.value} from cell {note.source.cell}]")
        blocks += [f"{name}: {html}" for name, html in rendered.fields.items() if html]
    blocks += [f"problem: {problem}" for problem in problems.items]
    return "\n".join(blocks).replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_notebook_golden(case: Case, tmp_path: Path, update_goldens: bool) -> None:
    check_case(case, render(case.input, tmp_path), GOLDENS, CASES, update_goldens)
