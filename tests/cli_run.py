"""The command line as the tests drive it: whatever the input, no traceback escapes."""

from __future__ import annotations

from click.testing import CliRunner, Result

from anki_tools.cli import main


def run(*args: str) -> Result:
    """`anki-tools ARGS` in the working folder; an exception other than the exit fails."""
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}; output:\n{result.output}"
    )
    return result
