"""`python -m archdsl` is the same as the `archdsl` command."""

from .cli import main

main()
