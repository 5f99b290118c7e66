"""The exceptions s3seal raises, shaped like botocore's.

When botocore is importable every class here subclasses its botocore namesake, so existing
``except botocore.exceptions.ClientError:`` (or ``NoCredentialsError``, ...) blocks keep
working; without botocore they are faithful copies (same messages, attributes, pickling).

Deliberate divergence from botocore: no message ever contains an SSE-C key, a KMS key id or
context, or a credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:  # pragma: no cover - depends on the environment
    # ``botocore`` too, as boto3/exceptions.py has it: code written for boto3 reaches
    # botocore's classes through it (``boto3.exceptions.botocore.exceptions.ClientError``).
    import botocore  # noqa: F401  (an attribute of this module, as in boto3.exceptions)
    import botocore.exceptions as _botocore
except ImportError:  # pragma: no cover
    _botocore = None  # type: ignore[assignment]


def _exception_from_packed_args(
    exception_cls: type[Exception], args: tuple[Any, ...] | None = None, kwargs: dict[str, Any] | None = None
) -> Exception:
    return exception_cls(*(args or ()), **(kwargs or {}))


class _BotoCoreErrorCopy(Exception):
    """botocore's BotoCoreError, for when botocore is not installed."""

    fmt = "An unspecified error occurred"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self.fmt.format(**kwargs))
        self.kwargs = kwargs

    def __reduce__(self) -> Any:
        return _exception_from_packed_args, (self.__class__, None, self.kwargs)


class _ClientErrorCopy(Exception):
    """botocore's ClientError, for when botocore is not installed."""

    MSG_TEMPLATE = (
        "An error occurred ({error_code}) when calling the {operation_name} "
        "operation{retry_info}: {error_message}"
    )

    def __init__(self, error_response: dict[str, Any], operation_name: str) -> None:
        retry_info = self._get_retry_info(error_response)
        error = error_response.get("Error", {})
        msg = self.MSG_TEMPLATE.format(
            error_code=error.get("Code", "Unknown"),
            error_message=error.get("Message", "Unknown"),
            operation_name=operation_name,
            retry_info=retry_info,
        )
        super().__init__(msg)
        self.response = error_response
        self.operation_name = operation_name

    def _get_retry_info(self, response: dict[str, Any]) -> str:
        metadata = response.get("ResponseMetadata", {})
        if metadata.get("MaxAttemptsReached", False) and "RetryAttempts" in metadata:
            return f" (reached max retries: {metadata['RetryAttempts']})"
        return ""


def _base(name: str, fallback: type[Exception]) -> type[Exception]:
    return getattr(_botocore, name) if _botocore is not None else fallback


BotoCoreError: type[Exception] = _base("BotoCoreError", _BotoCoreErrorCopy)


def _error(name: str, fmt: str, parent: type[Exception] = BotoCoreError) -> Any:
    """A BotoCoreError subclass with botocore's message template."""
    bases = (_base(name, parent),) if _botocore is not None else (parent,)
    return type(name, bases, {"fmt": fmt, "__module__": __name__})


ParamValidationError = _error("ParamValidationError", "Parameter validation failed:\n{report}")
NoCredentialsError = _error("NoCredentialsError", "Unable to locate credentials")
ProfileNotFound = _error("ProfileNotFound", "The config profile ({profile}) could not be found")
NoRegionError = _error("NoRegionError", "You must specify a region.")
InvalidConfigError = _error("InvalidConfigError", "{error_msg}")
EndpointConnectionError = _error(
    "EndpointConnectionError", 'Could not connect to the endpoint URL: "{endpoint_url}"'
)
ConnectTimeoutError = _error("ConnectTimeoutError", 'Connect timeout on endpoint URL: "{endpoint_url}"')
ReadTimeoutError = _error("ReadTimeoutError", 'Read timeout on endpoint URL: "{endpoint_url}"')
ConnectionClosedError = _error(
    "ConnectionClosedError",
    'Connection was closed before we received a valid response from endpoint URL: "{endpoint_url}".',
)
FlexibleChecksumError = _error("FlexibleChecksumError", "{error_msg}")
SSLError = _error("SSLError", "SSL validation failed for {endpoint_url} {error}")
ResponseStreamingError = _error(
    "ResponseStreamingError", "An error occurred while reading from response stream: {error}"
)
HTTPClientError = _error("HTTPClientError", "An HTTP Client raised an unhandled exception: {error}")
IncompleteReadError = _error(
    "IncompleteReadError", "{actual_bytes} read, but total bytes expected is {expected_bytes}."
)

UnknownClientMethodError = _error("UnknownClientMethodError", "Client does not have method: {method_name}")
UnknownRegionError = _error("UnknownRegionError", "Unknown region: '{region_name}'. {error_msg}")
PaginationError = _error("PaginationError", "Error during pagination: {message}")
OperationNotPageableError = _error(
    "OperationNotPageableError", "Operation cannot be paginated: {operation_name}"
)


class _WaiterErrorCopy(BotoCoreError):  # type: ignore[misc,valid-type]
    """botocore's WaiterError, for when botocore is not installed: keeps the last response."""

    def __init__(self, name: str, reason: str, last_response: Any) -> None:
        super().__init__(name=name, reason=reason)
        self.last_response = last_response


WaiterError = _error("WaiterError", "Waiter {name} failed: {reason}", _WaiterErrorCopy)


class InsecureTransportError(BotoCoreError):  # type: ignore[misc,valid-type]
    """An SSE-C key would have gone over plain http to a host that is not this machine."""

    fmt = "{message}"


class ClientError(_base("ClientError", _ClientErrorCopy)):  # type: ignore[misc]
    """An error response from S3 (botocore's ClientError: ``.response``, ``.operation_name``)."""

    def __reduce__(self) -> Any:
        # Like botocore: pickles as the base class.
        return ClientError, (self.response, self.operation_name)


# The error shapes of the S3 model: botocore generates one class per code.
MODELED_CODES = (
    "AccessDenied",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "EncryptionTypeMismatch",
    "IdempotencyParameterMismatch",
    "InvalidObjectState",
    "InvalidRequest",
    "InvalidWriteOffset",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "ObjectAlreadyInActiveTierError",
    "ObjectNotInActiveTierError",
    "TooManyParts",
)

_MODELED: dict[str, type[ClientError]] = {
    code: type(code, (ClientError,), {"__module__": __name__}) for code in MODELED_CODES
}
globals().update(_MODELED)


# Five classes subclass botocore.parsers' and boto3's own, whose modules cost about 0.15 s to
# import (boto3 pulls in botocore's session, http.client and email): a command line tool pays
# that on every run. They are made on first use instead (PEP 562); type checkers see them here.
_LAZY_NAMES = frozenset(
    {
        "ResponseParserError",
        "Boto3Error",
        "S3TransferFailedError",
        "S3UploadFailedError",
        "RetriesExceededError",
    }
)

if TYPE_CHECKING:

    class ResponseParserError(Exception):
        def __init__(self, message: str = "") -> None: ...

    class Boto3Error(Exception): ...

    class S3TransferFailedError(Boto3Error): ...

    class S3UploadFailedError(Boto3Error): ...

    class RetriesExceededError(Boto3Error):
        last_exception: BaseException

        def __init__(self, last_exception: BaseException, msg: str = "Max Retries Exceeded") -> None: ...

else:

    def __getattr__(name: str) -> Any:
        if name not in _LAZY_NAMES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        made = _make_lazy_classes()
        globals().update(made)
        return made[name]


def _make_lazy_classes() -> dict[str, type[Exception]]:
    try:  # pragma: no cover - depends on the environment
        from botocore.parsers import ResponseParserError as parser_base
    except ImportError:  # pragma: no cover
        parser_base = Exception  # type: ignore[assignment,misc]
    # boto3's transfer exceptions (boto3/exceptions.py), subclassed when boto3 is importable
    # so ``except boto3.exceptions.S3UploadFailedError:`` keeps working.
    try:
        import boto3.exceptions as boto3_exceptions
    except ImportError:  # pragma: no cover - exercised without boto3 installed
        boto3_exceptions = None  # type: ignore[assignment]

    class ResponseParserError(parser_base):  # type: ignore[misc,valid-type,no-redef]
        """A successful status with a body that is not what the model says (botocore's class)."""

        def __init__(self, message: str = "") -> None:
            super().__init__(message)

    class _Boto3ErrorCopy(Exception):
        """boto3's Boto3Error, for when boto3 is not installed."""

    if boto3_exceptions is not None:
        boto3_error: type[Exception] = boto3_exceptions.Boto3Error
        transfer_base: type[Exception] = boto3_exceptions.S3TransferFailedError
        upload_base: type[Exception] = boto3_exceptions.S3UploadFailedError
        retries_base: type[Exception] = boto3_exceptions.RetriesExceededError
    else:  # pragma: no cover
        boto3_error = transfer_base = upload_base = retries_base = _Boto3ErrorCopy

    class S3TransferFailedError(transfer_base):  # type: ignore[misc,valid-type,no-redef]
        """A managed transfer failed (boto3's ``S3TransferFailedError``)."""

    class S3UploadFailedError(upload_base):  # type: ignore[misc,valid-type,no-redef]
        """``upload_file`` failed: ``Failed to upload {file} to {bucket}/{key}: {error}``."""

    class RetriesExceededError(retries_base):  # type: ignore[misc,valid-type,no-redef]
        """A download's stream kept failing; ``last_exception`` is the last failure."""

        def __init__(self, last_exception: BaseException, msg: str = "Max Retries Exceeded") -> None:
            Exception.__init__(self, msg)
            self.last_exception = last_exception

    made: dict[str, type[Exception]] = {
        "ResponseParserError": ResponseParserError,
        "Boto3Error": boto3_error,
        "S3TransferFailedError": S3TransferFailedError,
        "S3UploadFailedError": S3UploadFailedError,
        "RetriesExceededError": RetriesExceededError,
    }
    for name, cls in made.items():
        if cls.__module__ == __name__:  # ours, not boto3's Boto3Error itself
            cls.__name__ = cls.__qualname__ = name  # pickled by name, as a module-level class
    return made


def _class_for_code(code: str) -> type[ClientError]:
    """The class botocore raises for an error code: a modeled one, or ClientError."""
    return _MODELED.get(code, ClientError)


class ClientExceptions:
    """``client.exceptions``: the modeled classes by name, plus ``ClientError``."""

    ClientError: type[Exception] = ClientError

    def __init__(self) -> None:
        for code, cls in _MODELED.items():
            setattr(self, code, cls)

    def from_code(self, error_code: str) -> type[Exception]:
        return _class_for_code(error_code)

    def __getattr__(self, name: str) -> type[Exception]:
        raise AttributeError(f"S3 has no modeled exception {name!r}")


S3_EXCEPTIONS = ClientExceptions()

__all__ = [
    "Boto3Error",
    "BotoCoreError",
    "ClientError",
    "ClientExceptions",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "EndpointConnectionError",
    "FlexibleChecksumError",
    "HTTPClientError",
    "IncompleteReadError",
    "InsecureTransportError",
    "InvalidConfigError",
    "NoCredentialsError",
    "NoRegionError",
    "OperationNotPageableError",
    "PaginationError",
    "ParamValidationError",
    "ProfileNotFound",
    "ReadTimeoutError",
    "ResponseParserError",
    "ResponseStreamingError",
    "RetriesExceededError",
    "S3TransferFailedError",
    "S3UploadFailedError",
    "SSLError",
    "UnknownClientMethodError",
    "UnknownRegionError",
    "WaiterError",
    *MODELED_CODES,
]
