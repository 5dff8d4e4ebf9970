"""The load driver's HTTP client (bench/http1.py): the contest figures are only as true as it is.

A scripted server on loopback answers with a Content-Length body, a chunked body, a cookie, a
closed idle connection and silence, and the client must read each as a browser would.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from bench.http1 import Client, HTTPError


async def _serve(script: list[bytes | None], seen: list[bytes]) -> tuple[Any, int]:
    """A server answering requests in order with ``script``; None closes the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await answer(reader, writer)
        finally:
            writer.close()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while script:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            seen.append(head + await reader.readexactly(length))
            reply = script.pop(0)
            if reply is None:  # the keep-alive time-out: close without answering
                break
            if reply == b"silence":
                await asyncio.sleep(5)
                break
            writer.write(reply)
            await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _in_thread(main: Any) -> None:
    """asyncio.run(main()) on a thread of its own: the browser tests' Playwright may have left
    an event loop running on this one, where asyncio.run refuses to start."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the scenario hung"
    if failure:
        raise failure[0]


def _run(script: list[bytes | None], scenario: Any) -> list[bytes]:
    seen: list[bytes] = []

    async def main() -> None:
        server, port = await _serve(script, seen)
        async with server:
            await scenario(f"http://127.0.0.1:{port}")

    _in_thread(main)
    return seen


def test_bodies_cookies_and_headers_are_read_and_sent_like_a_browser() -> None:
    script: list[bytes | None] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n"
        b'Set-Cookie: session=abc; HttpOnly; Path=/\r\n\r\n{"ok": true}',
        b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\nRetry-After: 2\r\n\r\n"
        b"6\r\n\xe8\xaf\xb7\xe7\xa8\x8d\r\n3\r\n\xe5\x80\x99\r\n0\r\n\r\n",
    ]
    results: list[Any] = []

    async def scenario(base: str) -> None:
        async with Client(base, timeout=5) as client:
            client.headers["X-CSRFToken"] = "t0ken"
            first = await client.put("/api/x", json={"answer": "甲", "seq": 1})
            second = await client.post("/login", data={"username": "张三"})
            results.extend([first, second])

    seen = _run(script, scenario)
    first, second = results
    assert first.status_code == 200 and first.json() == {"ok": True}
    assert second.status_code == 503
    assert second.text == "请稍候" and second.headers["retry-after"] == "2"
    # the JSON body in UTF-8, the default header on every request, the cookie sent back
    assert '{"answer": "甲", "seq": 1}'.encode() in seen[0]
    assert b"X-CSRFToken: t0ken" in seen[0] and b"X-CSRFToken: t0ken" in seen[1]
    assert b"Cookie: session=abc" in seen[1] and b"Cookie:" not in seen[0]
    assert b"username=%E5%BC%A0%E4%B8%89" in seen[1]


def test_a_request_on_a_connection_closed_while_idle_is_sent_again_once() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    script: list[bytes | None] = [ok, None, ok]
    statuses: list[int] = []

    async def scenario(base: str) -> None:
        async with Client(base, timeout=5) as client:
            statuses.append((await client.get("/a")).status_code)
            await asyncio.sleep(0.05)  # the server closes the idle connection meanwhile
            statuses.append((await client.get("/b")).status_code)

    seen = _run(script, scenario)
    assert statuses == [200, 200]
    assert [r.split(b" ")[1] for r in seen] == [b"/a", b"/b", b"/b"]


def test_silence_is_a_timeout_not_a_hang() -> None:
    async def scenario(base: str) -> None:
        async with Client(base, timeout=0.3) as client:
            with pytest.raises(HTTPError, match="ReadTimeout"):
                await client.get("/slow")

    _run([b"silence"], scenario)


def test_a_refused_connection_is_an_error_the_driver_counts() -> None:
    async def scenario() -> None:
        async with Client("http://127.0.0.1:9", timeout=2) as client:
            with pytest.raises(HTTPError):
                await client.get("/")

    _in_thread(scenario)
