# Marks templates/ as the data package `anki_tools._templates` (see pyproject.toml),
# so the note types ship inside the wheel as well as living at the repo's top level.
