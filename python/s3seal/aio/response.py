"""``(await s3.get_object(...))['Body']``: aiobotocore's async StreamingBody over the native
stream's awaitable reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, NoReturn

from s3seal.response import StreamingBody


class AioStreamingBody(StreamingBody):
    """aiobotocore's ``AioStreamingBody``: ``await read(amt)``, ``async with``,
    ``async for`` (1 KiB chunks), ``iter_chunks``, ``iter_lines``; the bytes arrive on
    s3seal's runtime while the event loop runs. A body shorter than its Content-Length
    raises ``IncompleteReadError`` (the sync check, shared). The sync reading API is
    refused, as aiobotocore does, rather than block the loop.
    """

    def __repr__(self) -> str:
        return f"<s3seal.aio.AioStreamingBody content_length={self._content_length}>"

    @property
    def raw_stream(self) -> Any:
        """The native stream (aiobotocore's ``raw_stream``)."""
        return self._raw_stream

    async def read(self, amt: int | None = None) -> bytes:  # type: ignore[override]
        """Read at most ``amt`` bytes, or everything left when ``amt`` is None."""
        # A body that arrived whole is read at once, without a round trip through the runtime.
        now = self._raw_stream._read_now(amt)
        chunk: bytes = now if now is not None else await self._raw_stream._read_async(amt)
        self._amount_read += len(chunk)
        if amt is None or (not chunk and amt > 0):
            self._verify_content_length()
        return chunk

    async def readinto(self, b: Any) -> int:  # type: ignore[override]
        """Read into a writable bytes-like object; returns the number of bytes read."""
        view = memoryview(b).cast("B")
        data = await self.read(len(view)) if len(view) else b""
        view[: len(data)] = data
        return len(data)

    async def readlines(self) -> list[bytes]:  # type: ignore[override]
        return [line async for line in self.iter_lines()]

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield 1 KiB chunks (not lines), as aiobotocore does."""
        return self.iter_chunks(self._DEFAULT_CHUNK_SIZE)

    async def __anext__(self) -> bytes:
        chunk = await self.read(self._DEFAULT_CHUNK_SIZE)
        if chunk:
            return chunk
        raise StopAsyncIteration

    anext = __anext__

    async def iter_chunks(self, chunk_size: int = StreamingBody._DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:  # type: ignore[override]
        """Yield chunks of ``chunk_size`` bytes until the body ends."""
        while True:
            chunk = await self.read(chunk_size)
            if chunk == b"":
                break
            yield chunk

    async def iter_lines(  # type: ignore[override]
        self, chunk_size: int = StreamingBody._DEFAULT_CHUNK_SIZE, keepends: bool = False
    ) -> AsyncIterator[bytes]:
        """Yield lines, reading ``chunk_size`` bytes at a time."""
        pending = b""
        async for chunk in self.iter_chunks(chunk_size):
            lines = (pending + chunk).splitlines(True)
            for line in lines[:-1]:
                yield line.splitlines(keepends)[0]
            pending = lines[-1]
        if pending:
            yield pending.splitlines(keepends)[0]

    async def __aenter__(self) -> AioStreamingBody:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the stream (closing never waits: aiobotocore's ``aclose``)."""
        self.close()

    # The sync reading API would block the event loop: refused, as aiobotocore does.
    def __iter__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is async; use 'async for' or __aiter__")

    def __next__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is async; use __anext__")

    next = __next__

    def __enter__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is async; use 'async with'")

    def __exit__(self, *exc: object) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is async; use 'async with'")

    def set_socket_timeout(self, timeout: float) -> NoReturn:
        raise NotImplementedError(
            "set_socket_timeout is not supported for async streaming bodies; "
            "configure timeouts on the client's Config instead."
        )


def wrap_body(parsed: dict[str, Any]) -> dict[str, Any]:
    """Give a response's sync ``Body`` (if any) its async face, over the same native stream."""
    body = parsed.get("Body")
    if isinstance(body, StreamingBody) and not isinstance(body, AioStreamingBody):
        # The sync wrapper is dropped without closing the stream they share: a body's
        # finalizer leaves its stream alone, as botocore's does.
        parsed["Body"] = AioStreamingBody(body._raw_stream, body._content_length)
    return parsed
