"""Instructions per ingest request, counted by callgrind: a noise-free before-and-after.

    python -m bench.instructions            # hub and bare, this tree
    python -m bench.instructions --hub-only
    python -m bench.instructions --drain    # per delivery, the worker's own (sender answers 200)

Times on these shared machines move by ±20 % between runs, which hides a 5 % change; the
number of instructions a request executes hardly moves. Each app is run twice under
``valgrind --tool=callgrind`` (start-up plus a small and a larger number of requests), and the
difference divided by the difference in requests is the cost of one request, start-up and
the building of requests cancelling out only in part: the bare figure carries the same
request building, so hub minus bare is what the hub adds. About two minutes; needs valgrind
(Debian: apt-get install valgrind). Not part of `make bench`: it counts, it does not time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from bench.processes import ROOT

COLLECTED = re.compile(r"Collected : (\d+)")
SMALL, LARGE = 500, 2500


def instructions(which: str, count: int) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-m", "bench.inprocess", which, str(count)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no total:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_request(which: str) -> int:
    return (instructions(which, LARGE) - instructions(which, SMALL)) // (LARGE - SMALL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hub-only", action="store_true")
    parser.add_argument("--drain", action="store_true")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("bench.instructions: install valgrind (Debian: apt-get install valgrind)")
    if args.drain:
        print(f"drain: {per_request('drain'):,} instructions per delivery")
        return
    hub = per_request("hub")
    print(f"hub:  {hub:,} instructions per request")
    if not args.hub_only:
        bare = per_request("bare")
        print(f"bare: {bare:,} instructions per request (request building included)")
        print(f"what the hub adds: {hub - bare:,}")


if __name__ == "__main__":
    main()
