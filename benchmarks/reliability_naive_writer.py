"""Why the kill -9 test of tests/test_faults.py can fail: a plain write against the atomic one.

A child rewrites a 3 MB / 5 MB file in a loop and is killed with SIGKILL 20 times at seeded random
moments; after each kill the file must be the whole old or the whole new content. Usage::

    PYTHONPATH=$PWD python benchmarks/reliability_naive_writer.py
"""
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KILLS = 20
OLD, NEW = b"a" * 3_000_000, b"b" * 5_000_000
WRITERS = {"naive": "from pathlib import Path\nw = lambda p, d: Path(p).write_bytes(d)\n",
           "atomic": "from sim.storage import atomic_write_bytes as w\n"}

target = Path(tempfile.mkdtemp()) / "table.bin"
for mode, head in WRITERS.items():
    target.write_bytes(OLD)
    loop = head + f"import sys\nwhile True:\n w(sys.argv[1], b'b' * {len(NEW)}); w(sys.argv[1], b'a' * {len(OLD)})"
    rng, partial = random.Random(14), 0
    for _ in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", loop, str(target)], env=os.environ)
        time.sleep(rng.uniform(0.2, 0.6))
        child.kill()
        child.wait()
        partial += target.read_bytes() not in (OLD, NEW)
    print(f"{mode}: {partial} of {KILLS} kills left a partial file")
