"""Requests per second one endpoint sustains: ``clients`` closed loops (each sends the next PUT
as soon as the last is answered) for ``seconds``, from one asyncio process like bench/load.py.

    python bench/closed_loop.py http://127.0.0.1:8721 /bench/bare-write [seconds] [clients]
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx


async def rate(base: str, path: str, seconds: float, clients: int) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def loop(i: int, client: httpx.AsyncClient) -> None:
        nonlocal done
        n = 0
        while time.perf_counter() < stop:
            n += 1
            response = await client.put(path, json={"k": i, "v": n})
            done += response.status_code == 200

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(loop(i, client) for i in range(clients)))
    return done / seconds


if __name__ == "__main__":
    base, path = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 8.0
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    print(f"{base}{path}: {asyncio.run(rate(base, path, seconds, clients)):.0f}/s")
