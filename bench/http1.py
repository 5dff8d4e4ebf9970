"""A lean HTTP/1.1 client for the load driver: one keep-alive connection per simulated phone.

Why not httpx: on this 2-core machine httpx's per-request CPU made the *driver* the bottleneck.
One httpx process peaked at ~520 requests/s against an endpoint that does nothing, while wrk (C)
drove the same gunicorn to ~5,000/s (bench/RESULTS.md §2g). A phone costs the server nothing to
simulate, so the driver must cost as little as possible: this client writes the request bytes
and reads the status line, headers and a Content-Length or chunked body, nothing more. It keeps
the session cookie and default headers (CSRF, bearer token) per client, like a browser tab.

Like a browser, a request on a reused connection that the server closed before any byte of the
answer (keep-alive time-out) is sent again once on a fresh connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
from typing import Any
from urllib.parse import urlencode, urlsplit


class HTTPError(Exception):
    """The network failed or timed out: no answer was read."""


class Response:
    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class Client:
    """A browser tab's worth of HTTP: one connection, its cookies and its default headers."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.request("PUT", path, **kw)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        body = b""
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode()
            lines.append("Content-Type: application/json")
        elif data is not None:
            body = urlencode(data).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        lines.extend(f"{k}: {v}" for k, v in {**self.headers, **(headers or {})}.items())
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        try:
            async with asyncio.timeout(self.timeout):
                reused = self._writer is not None
                try:
                    return await self._exchange(raw)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    await self.close()
                    if not (reused and getattr(exc, "partial", b"") == b""):
                        raise
                    return await self._exchange(raw)  # the server had closed the idle connection
        except TimeoutError as exc:  # before OSError, of which it is a subclass
            await self.close()
            raise HTTPError("ReadTimeout") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            await self.close()
            raise HTTPError(type(exc).__name__) from exc

    async def _exchange(self, raw: bytes) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        assert reader is not None
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, attributes = value.partition(";")
                key, _, val = cookie.partition("=")
                if (
                    "max-age=0" in attributes.lower()
                    or "expires=thu, 01 jan 1970" in attributes.lower()
                ):
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val.strip()
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            content = b"".join(parts)
        elif "content-length" in headers:
            content = await reader.readexactly(int(headers["content-length"]))
        else:
            content = await reader.read()
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, content)
