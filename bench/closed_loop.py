"""Requests per second one endpoint sustains: ``clients`` closed loops (each sends the next PUT
as soon as the last is answered) for ``seconds``, from one asyncio process with the same lean
client as bench/load.py (bench/http1.py). It prints the driver's own CPU too: when that nears
one core, the figure is the driver's limit, not the server's (cross-check with wrk, §2g).

    python bench/closed_loop.py http://127.0.0.1:8721 /bench/bare-write [seconds] [clients]
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http1 import Client, HTTPError


async def rate(base: str, path: str, seconds: float, clients: int) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        nonlocal done
        n = 0
        async with Client(base) as client:
            while time.perf_counter() < stop:
                n += 1
                try:
                    response = await client.put(path, json={"k": i, "v": n})
                except HTTPError:
                    continue
                done += response.status_code == 200

    await asyncio.gather(*(loop(i) for i in range(clients)))
    return done / seconds


if __name__ == "__main__":
    base, path = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 8.0
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    cpu = time.process_time()
    per_second = asyncio.run(rate(base, path, seconds, clients))
    share = (time.process_time() - cpu) / seconds
    print(f"{base}{path}: {per_second:.0f}/s (driver CPU {share:.0%} of a core)")
