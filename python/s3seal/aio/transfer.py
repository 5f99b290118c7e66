"""Managed transfers for the async client: the sync engine, run in a worker thread.

``await s3.upload_file(...)`` runs the sync engine (``s3seal.transfer``) in a worker thread of
its own pool and the event loop stays free.

Cancelling the awaiting task must leave nothing behind, and a thread cannot be interrupted
from outside. Each transfer gets a native stop (``_native.TransferStop``, through the
``transfer.STOP`` context variable): a cancelled task fires it, and the engine stops at once,
even while no bytes move, and cleans up as on Ctrl-C (a multipart upload is aborted, a
download's temporary file removed, an existing target left as it was). Its progress callback
also raises :class:`TransferCancelled` once the task is cancelled, for the engine's steps that
run Python (file objects). The task waits for that cleanup before it reports the cancellation.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from s3seal import _native, transfer
from s3seal._ops import Operations

T = TypeVar("T")
Progress = Callable[[int], Any]


class TransferCancelled(Exception):
    """Raised inside the engine's progress callback to stop a cancelled transfer."""


class SyncView(Operations):
    """The async client seen by the sync engine: the sync operations (the engine's own
    HeadObject of a copy) on the same native client, everything else from the client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _make_api_call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        from s3seal.session import S3Client

        return S3Client._make_api_call(self._client, operation, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def sync_client(client: Any) -> Any:
    """A client the sync engine can call: async clients through a :class:`SyncView`."""
    from s3seal.aio.client import AioS3Client

    return SyncView(client) if isinstance(client, AioS3Client) else client


def _cancellable(callback: Progress | None, cancelled: threading.Event) -> Progress:
    def progress(amount: int) -> None:
        if cancelled.is_set():
            raise TransferCancelled("the awaiting task was cancelled")
        if callback is not None:
            callback(amount)

    return progress


# The worker threads of transfers. Not the loop's default executor, which has
# min(32, cpus + 4) threads (6 on 2 cores) shared with everything else: with it, a gather of
# 20 transfers ran 6 at a time. A transfer's thread waits in Rust with the GIL released, so
# threads are cheap; the pool is made per process (a forked child gets its own).
MAX_TRANSFER_THREADS = 256
_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()


def _transfer_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None or _executor[0] != os.getpid():
            pool = ThreadPoolExecutor(MAX_TRANSFER_THREADS, thread_name_prefix="s3seal-aio-transfer")
            _executor = (os.getpid(), pool)
        return _executor[1]


async def run(job: Callable[[Progress], T], callback: Progress | None) -> T:
    """Run ``job(progress)`` in a worker thread; on cancellation, stop it and wait for the
    engine's cleanup before re-raising ``CancelledError``."""
    cancelled = threading.Event()
    stop = _native.TransferStop(TransferCancelled("the awaiting task was cancelled"))
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    context.run(transfer.STOP.set, stop)
    call = functools.partial(context.run, job, _cancellable(callback, cancelled))
    future = asyncio.ensure_future(loop.run_in_executor(_transfer_executor(), call))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancelled.set()
        stop.stop()
        await _settle(future)
        raise


async def _settle(future: asyncio.Future[Any]) -> None:
    """Wait for a stopping job to finish its cleanup, whatever it raises, even if the task is
    cancelled again meanwhile (the thread would otherwise outlive its cleanup's caller)."""
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            continue
        except Exception:
            break
    if future.done() and not future.cancelled():
        future.exception()  # retrieved: no "exception was never retrieved" warning


def _is_async(method: Any) -> bool:
    return inspect.iscoroutinefunction(method)


class _AsyncReader:
    """A sync ``read`` over an aiofiles-style ``await f.read(n)``, for the worker thread:
    each read runs on the event loop the transfer was awaited from."""

    def __init__(self, fileobj: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._fileobj = fileobj
        self._loop = loop

    def read(self, amt: int = -1) -> bytes:
        data: bytes = asyncio.run_coroutine_threadsafe(self._fileobj.read(amt), self._loop).result()
        return data


class _AsyncWriter:
    """A sync ``write`` over an aiofiles-style ``await f.write(b)``, for the worker thread."""

    def __init__(self, fileobj: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._fileobj = fileobj
        self._loop = loop

    def write(self, data: bytes) -> int:
        written: int = asyncio.run_coroutine_threadsafe(self._fileobj.write(data), self._loop).result()
        return written


def readable(fileobj: Any) -> Any:
    """The file object as the sync engine reads it (async ones adapted)."""
    if _is_async(getattr(fileobj, "read", None)):
        return _AsyncReader(fileobj, asyncio.get_running_loop())
    return fileobj


def writable(fileobj: Any) -> Any:
    """The file object as the sync engine writes it (async ones adapted)."""
    if _is_async(getattr(fileobj, "write", None)):
        return _AsyncWriter(fileobj, asyncio.get_running_loop())
    return fileobj


__all__ = ["SyncView", "TransferCancelled", "readable", "run", "sync_client", "writable"]
