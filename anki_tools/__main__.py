"""`python -m anki_tools` runs the command line."""

from .cli import main

main()
