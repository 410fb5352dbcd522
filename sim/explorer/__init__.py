"""``sim explore``: a package explorer in the browser (one page served on localhost).

Choose a package or move the lever sliders and see the targets' probabilities with their Monte
Carlo errors, the fan chart against the baseline and the extra fiscal cost, computed by small
ensembles in memory (``app.Explorer``) and served by a bounded stdlib HTTP server (``server``).
"""
from __future__ import annotations

import sys


def run(spec, scenario_dir, host, port, replications, households, seed=0, workers=None, out="results"):
    """Start the explorer, print its URL and serve until Ctrl-C."""
    from .app import Explorer
    from .server import LOOPBACK, serve
    explorer = Explorer(spec, scenario_dir, replications, households, seed, workers, out)
    try:
        server = serve(explorer, host, port)
    except OSError as e:
        explorer.close()
        raise ConnectionError(f"cannot listen on {host}:{port}: {e}") from None
    if host not in LOOPBACK:
        print(f"warning: listening on {host}, reachable from other machines", file=sys.stderr)
    print(f"explorer at {server.url}  ({replications} replications x {households:,} households per package; "
          "Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
