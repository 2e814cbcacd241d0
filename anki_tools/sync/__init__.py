"""`anki-tools sync`: a built deck applied to a learner's collection (docs/sync.md).

`state.py` remembers what sync wrote, `plan.py` decides what to do (pure), `backend.py`
is what a collection must offer (`direct.py` opens the file with the `anki` package,
`ankiconnect.py` talks to a running Anki through AnkiConnect), `run.py` puts them
together and picks the mode."""
