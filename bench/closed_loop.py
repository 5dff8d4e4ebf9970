"""Requests per second one endpoint sustains: ``clients`` closed loops (each sends the next PUT
as soon as the last is answered) for ``seconds``, from one asyncio process with the same loop
and lean client as bench/load.py's ceiling (bench/http1.py). It prints the driver's own CPU too:
when that nears one core, the figure is the driver's limit, not the server's (cross-check with
wrk, bench/RESULTS.md §2g).

    python bench/closed_loop.py http://127.0.0.1:8721 /bench/bare-write [seconds] [clients]
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import closed_loop


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    base, path = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 8.0
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    cpu = time.process_time()
    done, failed = asyncio.run(
        closed_loop(base, clients, seconds, lambda i, n: ("PUT", path, {"json": {"k": i, "v": n}}))
    )
    share = (time.process_time() - cpu) / seconds
    print(
        f"{base}{path}: {done / seconds:.0f}/s, {failed} failed (driver CPU {share:.0%} of a core)"
    )


if __name__ == "__main__":
    main()
