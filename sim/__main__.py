"""Entry point: ``python -m sim`` runs the command line (sim.cli)."""
import sys

from .cli import main

sys.exit(main())
