"""``get_object()['Body']``: botocore's StreamingBody over s3seal's native stream."""

from __future__ import annotations

from collections.abc import Iterator
from io import IOBase
from typing import TYPE_CHECKING, Any

from s3seal import _native
from s3seal.exceptions import IncompleteReadError


class StreamingBody(IOBase):
    """A response body read from the wire on demand (botocore's ``StreamingBody``).

    ``read()`` of the whole body builds the result once, with the GIL released while the
    bytes arrive; a body shorter than its Content-Length raises ``IncompleteReadError``.
    """

    _DEFAULT_CHUNK_SIZE = 1024
    # Slots, not the instance dict: each GET makes a body natively (src/convert.rs) and its
    # read() reads them, under the GIL. (`_finalizing` is where IOBase's own finalizer, if
    # ever called, notes that it runs.)
    __slots__ = ("_amount_read", "_content_length", "_finalizing", "_raw_stream")

    def __init__(self, raw_stream: Any, content_length: int | None) -> None:
        self._raw_stream = raw_stream
        self._content_length = content_length
        self._amount_read = 0

    def __del__(self) -> None:
        # botocore's: IOBase's finalizer would close the body. The native stream closes
        # itself when it is freed, and that finalizer (a lookup of `closed` and a call of
        # close() on every GET, under the GIL) cost twice this empty one.
        pass

    def __repr__(self) -> str:
        return f"<s3seal.response.StreamingBody content_length={self._content_length}>"

    def set_socket_timeout(self, timeout: float) -> None:
        """Accepted for compatibility; the client's read_timeout applies to every read."""

    def readable(self) -> bool:
        return not self._raw_stream.closed

    # Closed is the native stream's state, not IOBase's flag: IOBase.close would set that
    # flag in an instance dict made for it, and the finalizer of every body closes it.
    @property
    def closed(self) -> bool:  # type: ignore[override]
        return self._raw_stream.closed  # type: ignore[no-any-return]

    def flush(self) -> None:
        if self._raw_stream.closed:
            raise ValueError("I/O operation on closed file.")  # as IOBase.flush

    if TYPE_CHECKING:
        # read() is native (src/streaming_body.rs, set below): as a Python method its frame
        # cost every GET ~2,000 instructions under the GIL. The same code: ``amt`` None or
        # negative reads everything; then, or at the end of the body, the amount read must
        # be the Content-Length, else IncompleteReadError.
        def read(self, amt: int | None = None) -> bytes:
            """Read at most ``amt`` bytes, or everything left when ``amt`` is None or negative."""

    def readinto(self, b: Any) -> int:
        """Read into a writable bytes-like object; returns the number of bytes read."""
        view = memoryview(b).cast("B")
        data = self._raw_stream.read(len(view))
        amount_read = len(data)
        view[:amount_read] = data
        self._amount_read += amount_read
        if amount_read == 0 and len(view) > 0:
            self._verify_content_length()
        return amount_read

    def readlines(self, hint: int = -1) -> list[bytes]:  # type: ignore[override]
        return self.read().splitlines(True)

    def __iter__(self) -> Iterator[bytes]:
        """Yield 1 KiB chunks (not lines), as botocore does."""
        return self.iter_chunks(self._DEFAULT_CHUNK_SIZE)

    def __next__(self) -> bytes:
        current_chunk = self.read(self._DEFAULT_CHUNK_SIZE)
        if current_chunk:
            return current_chunk
        raise StopIteration()

    next = __next__

    def __enter__(self) -> StreamingBody:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def iter_lines(self, chunk_size: int = _DEFAULT_CHUNK_SIZE, keepends: bool = False) -> Iterator[bytes]:
        """Yield lines, reading ``chunk_size`` bytes at a time."""
        pending = b""
        for chunk in self.iter_chunks(chunk_size):
            lines = (pending + chunk).splitlines(True)
            for line in lines[:-1]:
                yield line.splitlines(keepends)[0]
            pending = lines[-1]
        if pending:
            yield pending.splitlines(keepends)[0]

    def iter_chunks(self, chunk_size: int = _DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Yield chunks of ``chunk_size`` bytes until the body ends."""
        while True:
            current_chunk = self.read(chunk_size)
            if current_chunk == b"":
                break
            yield current_chunk

    def _verify_content_length(self) -> None:
        if self._content_length is not None and self._amount_read != int(self._content_length):
            raise IncompleteReadError(
                actual_bytes=self._amount_read,
                expected_bytes=int(self._content_length),
            )

    def tell(self) -> int:
        return self._amount_read

    def close(self) -> None:
        """Close the underlying response stream (an unread rest is discarded)."""
        self._raw_stream.close()  # what `closed` reads: IOBase.close has nothing to add


_native.add_streaming_body_read(StreamingBody)
