"""boto3's resource exceptions, subclassing boto3's own when it is importable (as
``s3seal.exceptions`` does for the transfer errors), so ``except boto3.exceptions...`` works."""

from __future__ import annotations

from s3seal.exceptions import Boto3Error

try:
    import boto3.exceptions as _boto3
except ImportError:  # pragma: no cover - exercised without boto3 installed
    _boto3 = None  # type: ignore[assignment]

_LoadBase: type[Exception] = _boto3.ResourceLoadException if _boto3 is not None else Boto3Error


class ResourceLoadException(_LoadBase):  # type: ignore[misc,valid-type]
    """A resource attribute needs data, and the resource has no ``load()`` to fetch it."""
