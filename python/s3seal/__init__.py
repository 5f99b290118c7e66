"""s3seal: boto3's S3 calls with server-side encryption (SSE-C, SSE-KMS, SSE-S3), in Rust.

Change ``import boto3`` to ``import s3seal as boto3`` and the usual
``put_object(..., SSECustomerAlgorithm='AES256', SSECustomerKey=...)``,
``get_object(...)['Body'].read()`` and friends keep working.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from s3seal import exceptions
from s3seal import session as _session_module
from s3seal.config import UNSIGNED, Config
from s3seal.keys import CustomerKey, KeyRing
from s3seal.logs import set_stream_logger
from s3seal.response import StreamingBody

# `s3seal.rotate(client, Bucket=..., Prefix=..., old=..., new=...)` is the function; the
# module stays importable as `s3seal.rotate` through sys.modules (`from s3seal.rotate import ...`).
from s3seal.rotate import rotate
from s3seal.session import S3Client, Session, client, resource, setup_default_session
from s3seal.transfer import TransferConfig

__version__ = "0.1.0"


class _Module(types.ModuleType):
    """``s3seal.DEFAULT_SESSION`` is boto3's ``DEFAULT_SESSION``: the default session that
    ``s3seal.client()`` uses (None until first needed or ``setup_default_session``), and
    assigning it (``s3seal.DEFAULT_SESSION = None``, as test suites do with boto3) replaces it."""

    @property
    def DEFAULT_SESSION(self) -> Session | None:
        return _session_module._default_session

    @DEFAULT_SESSION.setter
    def DEFAULT_SESSION(self, value: Session | None) -> None:
        _session_module._default_session = value


sys.modules[__name__].__class__ = _Module

_default_client: S3Client | None = None


def _client(client: S3Client | None) -> S3Client:
    global _default_client
    if client is not None:
        return client
    if _default_client is None:
        _default_client = globals()["client"]("s3")
    return _default_client


def upload(
    *,
    Bucket: str,
    Key: str,
    Body: Any = None,
    Filename: Any = None,
    Fileobj: Any = None,
    Callback: Any = None,
    Config: Any = None,
    client: S3Client | None = None,
    **params: Any,
) -> dict[str, Any] | None:
    """Upload one of ``Body`` (put_object: returns its response dict), ``Filename`` or
    ``Fileobj`` (managed transfer, multipart when large: returns None), with any of their
    parameters (SSE-C, SSE-KMS, SSE-S3, ...): ``params`` become the ExtraArgs.
    """
    given = [
        name for name, v in (("Body", Body), ("Filename", Filename), ("Fileobj", Fileobj)) if v is not None
    ]
    if len(given) != 1:
        raise ValueError("upload() takes exactly one of Body=, Filename= or Fileobj=")
    s3 = _client(client)
    if Filename is not None:
        s3.upload_file(Filename, Bucket, Key, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    if Fileobj is not None:
        s3.upload_fileobj(Fileobj, Bucket, Key, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    return s3.put_object(Bucket=Bucket, Key=Key, Body=Body, **params)


def download(
    *,
    Bucket: str,
    Key: str,
    Filename: Any = None,
    Fileobj: Any = None,
    Callback: Any = None,
    Config: Any = None,
    client: S3Client | None = None,
    **params: Any,
) -> bytes | None:
    """Download an object, with any get_object parameters (e.g. the SSE-C key): its bytes,
    or into ``Filename`` / ``Fileobj`` (managed transfer, ranged when large: returns None).
    """
    s3 = _client(client)
    if Filename is not None:
        s3.download_file(Bucket, Key, Filename, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    if Fileobj is not None:
        s3.download_fileobj(Bucket, Key, Fileobj, ExtraArgs=params, Callback=Callback, Config=Config)
        return None
    body: StreamingBody = s3.get_object(Bucket=Bucket, Key=Key, **params)["Body"]
    with body:
        return body.read()


__all__ = [
    "DEFAULT_SESSION",
    "UNSIGNED",
    "Config",
    "CustomerKey",
    "KeyRing",
    "S3Client",
    "Session",
    "StreamingBody",
    "TransferConfig",
    "__version__",
    "client",
    "download",
    "exceptions",
    "resource",
    "rotate",
    "set_stream_logger",
    "setup_default_session",
    "upload",
]
