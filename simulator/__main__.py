"""``python -m simulator`` runs the sosim command line."""

from simulator.cli import main

main()
