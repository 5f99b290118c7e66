"""s3seal's async API, in aioboto3's shape: ``import s3seal.aio as aioboto3``.

    session = s3seal.aio.Session()
    async with session.client("s3") as s3:
        await s3.put_object(Bucket=b, Key=k, Body=data, SSECustomerAlgorithm="AES256", SSECustomerKey=key)
        async with (await s3.get_object(Bucket=b, Key=k, SSECustomerAlgorithm="AES256",
                                        SSECustomerKey=key))["Body"] as body:
            data = await body.read()

Every operation is a coroutine returning the sync client's dicts and raising its
exceptions. Requests run on s3seal's own runtime, never on the event loop's thread, and a
cancelled task drops its request. Managed transfers run the sync engine in a worker thread.
"""

from __future__ import annotations

from typing import Any

from s3seal.aio.client import AioS3Client
from s3seal.aio.response import AioStreamingBody
from s3seal.aio.session import ClientCreatorContext, Session
from s3seal.aio.transfer import TransferCancelled

_default_session: Session | None = None
_default_client: AioS3Client | None = None


def _get_default_session() -> Session:
    global _default_session
    if _default_session is None:
        _default_session = Session()
    return _default_session


def setup_default_session(**kwargs: Any) -> None:
    """Replace the default session (aioboto3's ``setup_default_session``)."""
    global _default_session, _default_client
    _default_session, _default_client = Session(**kwargs), None


def client(service_name: str, *args: Any, **kwargs: Any) -> ClientCreatorContext[AioS3Client]:
    """``async with s3seal.aio.client('s3', ...) as s3``: a client of the default session."""
    return _get_default_session().client(service_name, *args, **kwargs)


def resource(service_name: str, *args: Any, **kwargs: Any) -> ClientCreatorContext[Any]:
    """``async with s3seal.aio.resource('s3') as s3``: a resource of the default session."""
    return _get_default_session().resource(service_name, *args, **kwargs)


async def _client(given: AioS3Client | None) -> AioS3Client:
    global _default_client
    if given is not None:
        return given
    if _default_client is None:
        _default_client = await client("s3")
    return _default_client


async def upload(
    *,
    Bucket: str,
    Key: str,
    Body: Any = None,
    Filename: Any = None,
    Fileobj: Any = None,
    Callback: Any = None,
    Config: Any = None,
    client: AioS3Client | None = None,
    **params: Any,
) -> dict[str, Any] | None:
    """``s3seal.upload``, awaited: one of ``Body`` (put_object: its response dict),
    ``Filename`` or ``Fileobj`` (managed transfer: None); ``params`` become the ExtraArgs."""
    given = [n for n, v in (("Body", Body), ("Filename", Filename), ("Fileobj", Fileobj)) if v is not None]
    if len(given) != 1:
        raise ValueError("upload() takes exactly one of Body=, Filename= or Fileobj=")
    s3 = await _client(client)
    if Filename is not None:
        await s3.upload_file(Filename, Bucket, Key, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    if Fileobj is not None:
        await s3.upload_fileobj(Fileobj, Bucket, Key, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    response: dict[str, Any] = await s3.put_object(Bucket=Bucket, Key=Key, Body=Body, **params)
    return response


async def download(
    *,
    Bucket: str,
    Key: str,
    Filename: Any = None,
    Fileobj: Any = None,
    Callback: Any = None,
    Config: Any = None,
    client: AioS3Client | None = None,
    **params: Any,
) -> bytes | None:
    """``s3seal.download``, awaited: the object's bytes, or into ``Filename`` / ``Fileobj``
    (managed transfer: None); ``params`` are get_object's (e.g. the SSE-C key)."""
    s3 = await _client(client)
    if Filename is not None:
        await s3.download_file(Bucket, Key, Filename, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    if Fileobj is not None:
        await s3.download_fileobj(Bucket, Key, Fileobj, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    response = await s3.get_object(Bucket=Bucket, Key=Key, **params)
    async with response["Body"] as body:
        data: bytes = await body.read()
    return data


__all__ = [
    "AioS3Client",
    "AioStreamingBody",
    "ClientCreatorContext",
    "Session",
    "TransferCancelled",
    "client",
    "download",
    "resource",
    "setup_default_session",
    "upload",
]
