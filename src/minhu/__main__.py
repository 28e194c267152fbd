"""``python -m minhu`` runs the command line."""

from minhu.cli import main

main()
