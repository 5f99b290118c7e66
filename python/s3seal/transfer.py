"""Managed transfers with boto3's API: ``upload_file``, ``upload_fileobj``,
``download_file``, ``download_fileobj`` and ``copy``.

This module does what s3transfer does in Python before any byte moves: it validates
``ExtraArgs`` against s3transfer's allow-lists and splits them into the request templates
each S3 call of the transfer gets (SSE-C on every part and ranged GET, KMS / SSE-S3 only on
PutObject / CreateMultipartUpload). The native engine then moves the bytes, each request
through the same engine as any client call.

Events: where s3transfer calls ``client.upload_part(...)`` (and the rest) once per request,
each request of a transfer fires ``provide-client-params``, ``before-parameter-build``,
``before-call``, ``before-sign``, ``before-send`` and ``after-call`` with that request's
parameters (handlers may change them, e.g. add ``SSECustomerKey``: the changed parameters
are what is sent). The parameter-level ones go through :class:`_TransferEvents`, passed to
the engine only while handlers are registered for them.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ClassVar

from s3seal import exceptions
from s3seal.exceptions import ClientError

KB = 1024
MB = KB * KB

# s3transfer 0.17 (s3transfer/constants.py, s3transfer/manager.py), in its order.
ALLOWED_DOWNLOAD_ARGS = [
    "ChecksumMode",
    "VersionId",
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
]
FULL_OBJECT_CHECKSUM_ARGS = [
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumMD5",
    "ChecksumSHA1",
    "ChecksumSHA256",
    "ChecksumSHA512",
    "ChecksumXXHASH3",
    "ChecksumXXHASH64",
    "ChecksumXXHASH128",
]
_ALLOWED_SHARED_ARGS = [
    "ACL",
    "CacheControl",
    "ChecksumAlgorithm",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "ExpectedBucketOwner",
    "Expires",
    "GrantFullControl",
    "GrantRead",
    "GrantReadACP",
    "GrantWriteACP",
    "Metadata",
    "ObjectLockLegalHoldStatus",
    "ObjectLockMode",
    "ObjectLockRetainUntilDate",
    "RequestPayer",
    "ServerSideEncryption",
    "StorageClass",
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
    "SSEKMSKeyId",
    "SSEKMSEncryptionContext",
    "Tagging",
    "WebsiteRedirectLocation",
]
# s3transfer rejects BucketKeyEnabled (boto/s3transfer#355); S3 accepts it on PutObject,
# CreateMultipartUpload and CopyObject, so s3seal allows it.
ALLOWED_UPLOAD_ARGS = [
    *_ALLOWED_SHARED_ARGS,
    "ChecksumType",
    "MpuObjectSize",
    *FULL_OBJECT_CHECKSUM_ARGS,
    "BucketKeyEnabled",
]
ALLOWED_COPY_ARGS = [
    *_ALLOWED_SHARED_ARGS,
    "CopySourceIfMatch",
    "CopySourceIfModifiedSince",
    "CopySourceIfNoneMatch",
    "CopySourceIfUnmodifiedSince",
    "CopySourceSSECustomerAlgorithm",
    "CopySourceSSECustomerKey",
    "CopySourceSSECustomerKeyMD5",
    "MetadataDirective",
    "TaggingDirective",
    "BucketKeyEnabled",
]

# What each request of an upload gets (s3transfer/upload.py).
_PUT_OBJECT_BLOCKLIST = ["ChecksumType", "MpuObjectSize"]
_CREATE_MULTIPART_BLOCKLIST = [*FULL_OBJECT_CHECKSUM_ARGS, "MpuObjectSize"]
_UPLOAD_PART_ARGS = [
    "ChecksumAlgorithm",
    "SSECustomerKey",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
]
_UPLOAD_COMPLETE_ARGS = [
    "SSECustomerKey",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
    "ChecksumType",
    "MpuObjectSize",
    *FULL_OBJECT_CHECKSUM_ARGS,
]
_ABORT_ARGS = ["RequestPayer", "ExpectedBucketOwner"]

# What each request of a copy gets (s3transfer/copies.py).
_COPY_TO_HEAD_ARGS = {
    "CopySourceIfMatch": "IfMatch",
    "CopySourceIfModifiedSince": "IfModifiedSince",
    "CopySourceIfNoneMatch": "IfNoneMatch",
    "CopySourceIfUnmodifiedSince": "IfUnmodifiedSince",
    "CopySourceSSECustomerKey": "SSECustomerKey",
    "CopySourceSSECustomerAlgorithm": "SSECustomerAlgorithm",
    "CopySourceSSECustomerKeyMD5": "SSECustomerKeyMD5",
    "RequestPayer": "RequestPayer",
    "ExpectedBucketOwner": "ExpectedBucketOwner",
}
_UPLOAD_PART_COPY_ARGS = [
    "CopySourceIfMatch",
    "CopySourceIfModifiedSince",
    "CopySourceIfNoneMatch",
    "CopySourceIfUnmodifiedSince",
    "CopySourceSSECustomerKey",
    "CopySourceSSECustomerAlgorithm",
    "CopySourceSSECustomerKeyMD5",
    "SSECustomerKey",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
]
_CREATE_MULTIPART_COPY_BLOCKLIST = [
    "CopySourceIfMatch",
    "CopySourceIfModifiedSince",
    "CopySourceIfNoneMatch",
    "CopySourceIfUnmodifiedSince",
    "CopySourceSSECustomerKey",
    "CopySourceSSECustomerAlgorithm",
    "CopySourceSSECustomerKeyMD5",
    "MetadataDirective",
    "TaggingDirective",
]
_COPY_COMPLETE_ARGS = [
    "SSECustomerKey",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
]

# The events a transfer fires from Python, per request (the request-level ones, before-call,
# before-sign and before-send, fire from the native engine).
_PARAM_EVENTS = ("provide-client-params", "before-parameter-build", "after-call", "after-call-error")
# The operations whose body the engine supplies.
_BODY_OPERATIONS = ("PutObject", "UploadPart")

_OBJECT_LAMBDA = re.compile(
    r"^arn:(aws).*:s3-object-lambda:[a-z\-0-9]+:[0-9]{12}:accesspoint[/:][a-zA-Z0-9\-]{1,63}"
)


# Set by the async API around a transfer it runs in a worker thread: a native stop that a
# cancelled task uses to halt the engine even while no bytes move (s3seal.aio.transfer).
STOP: ContextVar[Any] = ContextVar("s3seal_transfer_stop", default=None)


class TransferConfig:
    """Managed-transfer settings, with boto3's names and defaults.

    A ``boto3.s3.transfer.TransferConfig`` is accepted wherever this is.

    Args:
        multipart_threshold: Size from which uploads, downloads and copies go multipart.
        max_concurrency: Parts in flight at once (1 when ``use_threads`` is False).
        multipart_chunksize: Part size; adjusted to S3's 5 MiB..5 GiB and 10,000 parts.
        num_download_attempts: Tries of a download range whose stream fails.
        max_io_queue: Accepted for compatibility; s3seal's queues are bounded by design.
        io_chunksize: Download write and progress granularity.
        use_threads: False runs one part at a time.
        max_bandwidth: Bytes per second, or None for no limit.
        preferred_transfer_client: Accepted for compatibility (s3seal has one engine).
    """

    ALIAS: ClassVar[dict[str, str]] = {
        "max_concurrency": "max_request_concurrency",
        "max_io_queue": "max_io_queue_size",
    }

    def __init__(
        self,
        multipart_threshold: int = 8 * MB,
        max_concurrency: int = 10,
        multipart_chunksize: int = 8 * MB,
        num_download_attempts: int = 5,
        max_io_queue: int = 100,
        io_chunksize: int = 256 * KB,
        use_threads: bool = True,
        max_bandwidth: int | None = None,
        preferred_transfer_client: str = "auto",
    ) -> None:
        for name, value in (
            ("multipart_threshold", multipart_threshold),
            ("max_concurrency", max_concurrency),
            ("multipart_chunksize", multipart_chunksize),
            ("num_download_attempts", num_download_attempts),
            ("max_io_queue", max_io_queue),
            ("io_chunksize", io_chunksize),
            ("max_bandwidth", max_bandwidth),
        ):
            if value is not None and value <= 0:
                # s3transfer's TransferConfig._validate_attrs_are_nonzero
                raise ValueError(f"Provided parameter {name} of value {value} must be greater than 0.")
        self.multipart_threshold = multipart_threshold
        self.max_request_concurrency = self.max_concurrency = max_concurrency
        self.multipart_chunksize = multipart_chunksize
        self.num_download_attempts = num_download_attempts
        self.max_io_queue_size = self.max_io_queue = max_io_queue
        self.io_chunksize = io_chunksize
        self.use_threads = use_threads
        self.max_bandwidth = max_bandwidth
        self.preferred_transfer_client = preferred_transfer_client

    def __repr__(self) -> str:
        return (
            f"TransferConfig(multipart_threshold={self.multipart_threshold}, "
            f"multipart_chunksize={self.multipart_chunksize}, max_concurrency={self.max_concurrency})"
        )


Plan = tuple[int, int, int, int, int, "int | None"]


def _plan(config: Any) -> Plan:
    """The native engine's settings from an s3seal or boto3 TransferConfig."""
    config = config if config is not None else TransferConfig()
    concurrency = getattr(config, "max_request_concurrency", None) or getattr(config, "max_concurrency", 10)
    if not getattr(config, "use_threads", True):
        concurrency = 1
    return (
        int(config.multipart_threshold),
        int(config.multipart_chunksize),
        int(concurrency or 10),
        int(config.num_download_attempts),
        int(config.io_chunksize),
        None if config.max_bandwidth is None else int(config.max_bandwidth),
    )


class TransferBody:
    """What event handlers see as the ``Body`` of a transfer's PutObject or UploadPart (in
    boto3, s3transfer's ``ReadFileChunk``): the engine reads and sends the data itself, so
    a handler may look at the parameters but not replace the body."""

    def __init__(self, operation: str, part_number: int | None) -> None:
        self.operation, self.part_number = operation, part_number

    def __repr__(self) -> str:
        part = "" if self.part_number is None else f" part {self.part_number}"
        return f"<s3seal.transfer.TransferBody {self.operation}{part}>"


class _TransferEvents:
    """Fires a transfer's parameter-level events, per request, from the native engine:
    ``before`` (provide-client-params, before-parameter-build) returns the parameters to
    send; ``after`` fires after-call with the parsed response (or the error response),
    ``after_error`` after-call-error with the exception of any other failure."""

    def __init__(self, client: Any, requests: dict[str, dict[str, Any]]) -> None:
        self._client, self._requests = client, requests

    def before(self, name: str, operation: str, members: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        template = self._requests[name]
        # s3transfer's argument order: Bucket, Key, the request's own, Body, ExtraArgs.
        kwargs: dict[str, Any] = {k: template[k] for k in ("Bucket", "Key") if k in template}
        kwargs.update(members)
        body = None
        if operation in _BODY_OPERATIONS:
            body = kwargs["Body"] = TransferBody(operation, members.get("PartNumber"))
        for k, v in template.items():
            kwargs.setdefault(k, v)
        params, model, context = self._client._emit_before_call(operation, kwargs)
        if body is not None:
            if params.get("Body") is not body:
                raise NotImplementedError(
                    f"an event handler replaced the Body of a transfer's {operation}: s3seal's "
                    "transfer engine sends the data itself"
                )
            params = {k: v for k, v in params.items() if k != "Body"}
        return params, (operation, model, context)

    def after(self, state: Any, parsed: dict[str, Any]) -> None:
        operation, model, context = state
        self._client._emit_after_call(operation, parsed, model, context)

    def after_error(self, state: Any, exception: BaseException) -> None:
        operation, model, context = state
        self._client._emit_call_failed(operation, exception, model, context)


def _events(client: Any, requests: dict[str, dict[str, Any]]) -> _TransferEvents | None:
    """The transfer's event hook, or None (no cost) while no handler listens."""
    meta = getattr(client, "_surface_meta", None)
    if meta is None or not meta.events.listening(_PARAM_EVENTS):
        return None
    return _TransferEvents(client, requests)


def _validate(extra_args: dict[str, Any] | None, allowed: list[str]) -> dict[str, Any]:
    extra = dict(extra_args or {})
    for kwarg in extra:
        if kwarg not in allowed:
            raise ValueError(f"Invalid extra_args key '{kwarg}', must be one of: {', '.join(allowed)}")
    return extra


def _validate_bucket(bucket: Any) -> None:
    if isinstance(bucket, str) and _OBJECT_LAMBDA.match(bucket):
        raise ValueError(
            "TransferManager methods do not support S3 Object Lambda resource. "
            "Use direct client calls instead."
        )


def _only(extra: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if k in names}


def _without(extra: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if k not in names}


def _filename(filename: Any) -> str:
    if isinstance(filename, os.PathLike):
        filename = os.fspath(filename)
    if not isinstance(filename, str):
        raise ValueError("Filename must be a string or a path-like object")
    return filename


def _upload_requests(client: Any, bucket: str, key: str, extra_args: Any) -> dict[str, dict[str, Any]]:
    extra = _validate(extra_args, ALLOWED_UPLOAD_ARGS)
    _validate_bucket(bucket)
    if client._request_checksum_calculation != "when_required" and not any(
        c in extra for c in FULL_OBJECT_CHECKSUM_ARGS
    ):
        extra.setdefault("ChecksumAlgorithm", "CRC32")
    target = {"Bucket": bucket, "Key": key}
    multipart = dict(extra)
    for checksum in FULL_OBJECT_CHECKSUM_ARGS:
        if checksum in multipart:
            multipart["ChecksumType"] = "FULL_OBJECT"
            multipart["ChecksumAlgorithm"] = checksum.replace("Checksum", "")
    return {
        "put": {**target, **_without(extra, _PUT_OBJECT_BLOCKLIST)},
        "create": {**target, **_without(multipart, _CREATE_MULTIPART_BLOCKLIST)},
        "part": {**target, **_only(multipart, _UPLOAD_PART_ARGS)},
        "complete": {**target, **_only(multipart, _UPLOAD_COMPLETE_ARGS)},
        "abort": {**target, **_only(extra, _ABORT_ARGS)},
    }


def _read_block(fileobj: Any, size: int) -> bytes:
    """Up to `size` bytes from `fileobj` (fewer only at its end)."""
    blocks = []
    got = 0
    while got < size:
        data = fileobj.read(size - got)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            # boto3 fails at once too; retrying a None (nothing ready yet) would spin.
            raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'")
        if not data:
            break
        blocks.append(bytes(data))
        got += len(data)
    return b"".join(blocks)


def _pump(fileobj: Any, size: int, sink: Any) -> None:
    """Feed an upload's parts from `fileobj` to the native `sink`, on a daemon thread.

    A read() that blocks (a stalled pipe) or spins holds up neither Ctrl-C, which the
    waiting thread answers at once, nor the interpreter's exit: this thread runs only
    Python code while it reads, and hands each block over without ever blocking in native
    code, so the interpreter can stop it at exit like any daemon thread.
    """
    try:
        while not sink.closed:
            block = _read_block(fileobj, size)
            while not sink.push(block):
                if sink.closed:
                    return
                time.sleep(0.002)
            if len(block) < size:
                return
    except BaseException as e:  # reported by the upload, as its own failure
        sink.fail(e)


def _start_pump(fileobj: Any, size: int, sink: Any) -> None:
    threading.Thread(target=_pump, args=(fileobj, size, sink), name="s3seal-reader", daemon=True).start()


def _remaining_size(fileobj: Any) -> int | None:
    """The bytes left in a seekable file object (for part sizing), else None."""
    try:
        if not fileobj.seekable():
            return None
        position = fileobj.tell()
        end = fileobj.seek(0, os.SEEK_END)
        fileobj.seek(position)
        return max(0, int(end) - int(position))
    except (AttributeError, OSError, ValueError):
        return None


def upload_file(
    client: Any,
    Filename: Any,
    Bucket: str,
    Key: str,
    ExtraArgs: dict[str, Any] | None = None,
    Callback: Callable[[int], Any] | None = None,
    Config: Any = None,
) -> None:
    filename = _filename(Filename)
    requests = _upload_requests(client, Bucket, Key, ExtraArgs)
    try:
        client._upload(
            filename, requests, Callback, _plan(Config), events=_events(client, requests), stop=STOP.get()
        )
    except ClientError as e:
        # As boto3 raises it: the ClientError stays only as the implicit __context__.
        message = f"Failed to upload {filename} to {'/'.join([Bucket, Key])}: {e}"
        raise exceptions.S3UploadFailedError(message)  # noqa: B904


def upload_fileobj(
    client: Any,
    Fileobj: Any,
    Bucket: str,
    Key: str,
    ExtraArgs: dict[str, Any] | None = None,
    Callback: Callable[[int], Any] | None = None,
    Config: Any = None,
) -> None:
    if not hasattr(Fileobj, "read"):
        raise ValueError("Fileobj must implement read")
    requests = _upload_requests(client, Bucket, Key, ExtraArgs)
    client._upload(
        Fileobj,
        requests,
        Callback,
        _plan(Config),
        _remaining_size(Fileobj),
        events=_events(client, requests),
        stop=STOP.get(),
    )


def _download_requests(bucket: str, key: str, extra_args: Any) -> dict[str, dict[str, Any]]:
    extra = _validate(extra_args, ALLOWED_DOWNLOAD_ARGS)
    _validate_bucket(bucket)
    target = {"Bucket": bucket, "Key": key}
    return {"head": {**target, **extra}, "get": {**target, **extra}}


def download_file(
    client: Any,
    Bucket: str,
    Key: str,
    Filename: Any,
    ExtraArgs: dict[str, Any] | None = None,
    Callback: Callable[[int], Any] | None = None,
    Config: Any = None,
) -> None:
    filename = _filename(Filename)
    requests = _download_requests(Bucket, Key, ExtraArgs)
    client._download(
        filename, requests, Callback, _plan(Config), events=_events(client, requests), stop=STOP.get()
    )


def download_fileobj(
    client: Any,
    Bucket: str,
    Key: str,
    Fileobj: Any,
    ExtraArgs: dict[str, Any] | None = None,
    Callback: Callable[[int], Any] | None = None,
    Config: Any = None,
) -> None:
    if not hasattr(Fileobj, "write"):
        raise ValueError("Fileobj must implement write")
    requests = _download_requests(Bucket, Key, ExtraArgs)
    client._download(
        Fileobj, requests, Callback, _plan(Config), events=_events(client, requests), stop=STOP.get()
    )


def copy(
    client: Any,
    CopySource: Any,
    Bucket: str,
    Key: str,
    ExtraArgs: dict[str, Any] | None = None,
    Callback: Callable[[int], Any] | None = None,
    SourceClient: Any = None,
    Config: Any = None,
) -> None:
    extra = _validate(ExtraArgs, ALLOWED_COPY_ARGS)
    if isinstance(CopySource, dict):
        _validate_bucket(CopySource.get("Bucket"))
    _validate_bucket(Bucket)
    if not isinstance(CopySource, dict):
        raise TypeError(
            'Expecting dictionary formatted: {"Bucket": bucket_name, "Key": key} '
            f"but got {CopySource} or type {type(CopySource)}."
        )
    head = dict(CopySource)
    for name, value in extra.items():
        if name in _COPY_TO_HEAD_ARGS:
            head[_COPY_TO_HEAD_ARGS[name]] = value
    source = (SourceClient if SourceClient is not None else client).head_object(**head)
    target = {"Bucket": Bucket, "Key": Key}
    part = {**target, "CopySource": CopySource, **_only(extra, _UPLOAD_PART_COPY_ARGS)}
    if source.get("ETag") is not None:
        part["CopySourceIfMatch"] = source["ETag"]
    requests = {
        "single": {"CopySource": CopySource, **target, **extra},
        "create": {**target, **_without(extra, _CREATE_MULTIPART_COPY_BLOCKLIST)},
        "part": part,
        "complete": {**target, **_only(extra, _COPY_COMPLETE_ARGS)},
        "abort": {**target, **_only(extra, _ABORT_ARGS)},
    }
    client._copy(
        int(source["ContentLength"]),
        requests,
        Callback,
        _plan(Config),
        events=_events(client, requests),
        stop=STOP.get(),
    )
