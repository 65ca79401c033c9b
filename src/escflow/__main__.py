"""``python -m escflow`` runs the command line."""

from escflow.cli import run

run()
