"""Allow ``python -m animato``."""

from animato.cli import main

main()
