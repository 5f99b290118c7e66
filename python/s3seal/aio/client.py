"""The async S3 client: aiobotocore's client shape over the native client's awaitable calls.

``AioS3Client`` is the sync ``S3Client`` (same construction, configuration, ``meta``,
``exceptions``, pickling by configuration) with every operation replaced by a coroutine
from the same op table (``s3seal.aio._ops``) and the rest of aiobotocore's async surface:
``async with``, ``await close()``, async paginators and waiters, awaitable presigning and
managed transfers run off the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from s3seal import _native, logs, transfer
from s3seal.aio._ops import AsyncOperations
from s3seal.aio.response import wrap_body
from s3seal.aio.transfer import SyncView, readable, run, sync_client, writable
from s3seal.events import EventHooks
from s3seal.session import S3Client


def _rebuild_aio_client(options: dict[str, Any]) -> AioS3Client:
    """Unpickle an async client: the same configuration, credentials from the chain here."""
    return AioS3Client(**options)


class AioS3Client(AsyncOperations, S3Client):  # type: ignore[misc]  # async twins of the sync methods
    """aioboto3's S3 client: ``await s3.put_object(...)`` and every other operation, with
    the sync client's dicts and exceptions; used as ``async with session.client('s3') as s3``.

    Requests run on s3seal's own runtime and the event loop never waits on I/O; cancelling
    the awaiting task (``task.cancel()``, ``asyncio.wait_for``) drops the request.
    """

    def __new__(cls, **options: Any) -> AioS3Client:
        # aiobotocore's connector limit: at most ``max_pool_connections`` requests on the
        # wire at once; the rest wait for a connection (the sync client, like urllib3, only
        # caps the idle ones).
        client = super().__new__(cls, cap_connections=True, **options)
        assert isinstance(client, AioS3Client)
        return client

    async def _make_api_call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        """The native awaitable dispatch, with botocore's events when handlers are
        registered (the sync client's steps; handlers are sync functions, as in boto3)."""
        if self._surface_meta is None or not self._surface_meta.events.listening():
            return wrap_body(await self._logged_call(operation, kwargs))
        params, model, context = self._emit_before_call(operation, kwargs)
        try:
            parsed = await self._logged_call(operation, params)
        except Exception as e:
            self._emit_call_failed(operation, e, model, context)
            raise
        self._emit_after_call(operation, parsed, model, context)
        return wrap_body(parsed)

    async def _logged_call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``_call_async``, logged (redacted) under botocore's names when DEBUG is on."""
        if not logs.ENDPOINT.isEnabledFor(logging.DEBUG) and not logs.PARSERS.isEnabledFor(logging.DEBUG):
            return await _native.Client._call_async(self, operation, kwargs)
        logs.ENDPOINT.debug(
            "Making request for OperationModel(name=%s) with params: %r", operation, logs.redacted(kwargs)
        )
        try:
            parsed = await _native.Client._call_async(self, operation, kwargs)
        except Exception as e:
            response = getattr(e, "response", None)
            if isinstance(response, dict):
                logs._log_response(response.get("ResponseMetadata", {}))
            raise
        logs._log_response(parsed.get("ResponseMetadata", {}))
        return parsed

    def _events_changed(self, events: EventHooks) -> None:
        # The sync client swaps in its sync event path; the async one keeps its coroutine
        # (which checks for handlers itself) and takes only the native request hook.
        super()._events_changed(events)
        self.__dict__.pop("_make_api_call", None)

    def __reduce__(self) -> tuple[Any, ...]:
        _, args = super().__reduce__()
        return _rebuild_aio_client, args

    def __repr__(self) -> str:
        return f"<s3seal.aio.AioS3Client endpoint_url={self.endpoint_url!r}>"

    async def __aenter__(self) -> AioS3Client:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:  # type: ignore[override]
        """aiobotocore's ``await client.close()``: the pool is freed with the client."""

    def get_paginator(self, operation_name: str) -> Any:
        """An async paginator: ``async for page in p.paginate(...)``."""
        from s3seal.aio.paginate import AioPaginator

        sync = super().get_paginator(operation_name)
        return AioPaginator.like(sync)

    def get_waiter(self, waiter_name: str) -> Any:
        """An async waiter: ``await s3.get_waiter('object_exists').wait(...)``."""
        from s3seal.aio.waiter import create_aio_waiter

        return create_aio_waiter(self, waiter_name)

    async def generate_presigned_url(  # type: ignore[override]
        self,
        ClientMethod: str,
        Params: dict[str, Any] | None = None,
        ExpiresIn: int = 3600,
        HttpMethod: str | None = None,
    ) -> str:
        """aiobotocore's ``await generate_presigned_url(...)`` (signing is local: no I/O)."""
        return super().generate_presigned_url(ClientMethod, Params, ExpiresIn, HttpMethod)

    async def generate_presigned_post(  # type: ignore[override]
        self,
        Bucket: str,
        Key: str,
        Fields: dict[str, Any] | None = None,
        Conditions: list[Any] | None = None,
        ExpiresIn: int = 3600,
    ) -> dict[str, Any]:
        """aiobotocore's ``await generate_presigned_post(...)`` (local: no I/O)."""
        return super().generate_presigned_post(Bucket, Key, Fields, Conditions, ExpiresIn)

    async def upload_file(  # type: ignore[override]
        self,
        Filename: Any,
        Bucket: str,
        Key: str,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """boto3's upload_file, off the event loop; cancelled, it aborts its multipart upload."""
        view = SyncView(self)
        await run(
            lambda cb: transfer.upload_file(view, Filename, Bucket, Key, ExtraArgs, cb, Config), Callback
        )

    async def upload_fileobj(  # type: ignore[override]
        self,
        Fileobj: Any,
        Bucket: str,
        Key: str,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """boto3's upload_fileobj from a sync or an async (``await f.read()``) file object."""
        view, source = SyncView(self), readable(Fileobj)
        await run(
            lambda cb: transfer.upload_fileobj(view, source, Bucket, Key, ExtraArgs, cb, Config), Callback
        )

    async def download_file(  # type: ignore[override]
        self,
        Bucket: str,
        Key: str,
        Filename: Any,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """boto3's download_file, off the event loop; cancelled, it removes its temporary
        file and leaves an existing file as it was."""
        view = SyncView(self)
        await run(
            lambda cb: transfer.download_file(view, Bucket, Key, Filename, ExtraArgs, cb, Config), Callback
        )

    async def download_fileobj(  # type: ignore[override]
        self,
        Bucket: str,
        Key: str,
        Fileobj: Any,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """boto3's download_fileobj into a sync or an async (``await f.write()``) file object."""
        view, target = SyncView(self), writable(Fileobj)
        await run(
            lambda cb: transfer.download_fileobj(view, Bucket, Key, target, ExtraArgs, cb, Config), Callback
        )

    async def copy(  # type: ignore[override]
        self,
        CopySource: Any,
        Bucket: str,
        Key: str,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        SourceClient: Any = None,
        Config: Any = None,
    ) -> None:
        """boto3's managed copy, off the event loop (its HeadObject on the source included)."""
        view, source = SyncView(self), sync_client(SourceClient)
        await run(
            lambda cb: transfer.copy(view, CopySource, Bucket, Key, ExtraArgs, cb, source, Config), Callback
        )
