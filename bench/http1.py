"""A lean HTTP/1.1 client for the benchmarks: one keep-alive connection, requests as bytes.

The benchmarks' clients share the machine with the API and Neo4j, and a client's own cost is
counted in every latency it measures. httpx costs about 2 ms of client CPU per request here
(`{ __typename }` answered in 3.9 ms through httpx, 1.8 ms through this client, p50), which
would be charged to GraphQL; this client writes the request bytes itself on asyncio streams
and reads the answer by Content-Length or chunks.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class Http1Connection:
    """One keep-alive connection to the host of `url`, POSTing JSON bodies to its path."""

    def __init__(self, url: str, timeout_s: float) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise ValueError(f"only http:// URLs, not {url!r}")
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._head = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self._timeout = timeout_s
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, payload: bytes) -> tuple[int, bytes]:
        """Status and body of one POST; opens the connection when there is none. Raises
        OSError, TimeoutError, asyncio.IncompleteReadError or ValueError (and closes) when
        the answer does not come whole."""
        try:
            if self._stream is None:
                opening = asyncio.open_connection(self._host, self._port)
                self._stream = await asyncio.wait_for(opening, self._timeout)
            reader, writer = self._stream
            writer.write(self._head + str(len(payload)).encode() + b"\r\n\r\n" + payload)
            status, body, keep = await asyncio.wait_for(read_answer(reader), self._timeout)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return status, body

    def close(self) -> None:
        if self._stream is not None:
            self._stream[1].close()
            self._stream = None


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open (HTTP/1.1)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"
