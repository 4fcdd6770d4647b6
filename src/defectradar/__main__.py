"""``python -m defectradar`` runs the command-line interface."""

from defectradar.cli.app import main

main()
