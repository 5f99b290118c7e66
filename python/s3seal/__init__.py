"""s3seal: boto3's S3 calls with server-side encryption (SSE-C, SSE-KMS, SSE-S3), in Rust.

Change ``import boto3`` to ``import s3seal as boto3`` and the usual
``put_object(..., SSECustomerAlgorithm='AES256', SSECustomerKey=...)``,
``get_object(...)['Body'].read()`` and friends keep working.
"""

from __future__ import annotations

from typing import Any

from s3seal import exceptions
from s3seal.config import Config
from s3seal.response import StreamingBody
from s3seal.session import S3Client, Session, client, setup_default_session

__version__ = "0.1.0"

_default_client: S3Client | None = None


def _client(client: S3Client | None) -> S3Client:
    global _default_client
    if client is not None:
        return client
    if _default_client is None:
        _default_client = globals()["client"]("s3")
    return _default_client


def upload(
    *, Bucket: str, Key: str, Body: Any, client: S3Client | None = None, **params: Any
) -> dict[str, Any]:
    """Upload ``Body`` with any put_object parameters (SSE-C, SSE-KMS, SSE-S3, ...).

    Returns put_object's response dict.
    """
    return _client(client).put_object(Bucket=Bucket, Key=Key, Body=Body, **params)


def download(*, Bucket: str, Key: str, client: S3Client | None = None, **params: Any) -> bytes:
    """Download an object's bytes, with any get_object parameters (e.g. the SSE-C key)."""
    body: StreamingBody = _client(client).get_object(Bucket=Bucket, Key=Key, **params)["Body"]
    with body:
        return body.read()


__all__ = [
    "Config",
    "S3Client",
    "Session",
    "StreamingBody",
    "__version__",
    "client",
    "download",
    "exceptions",
    "setup_default_session",
    "upload",
]
