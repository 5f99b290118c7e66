"""Python ``logging`` for s3seal calls, under botocore's logger names, with every secret
redacted (botocore prints SSE-C keys in its DEBUG log; s3seal never does).

- ``botocore.endpoint``: the operation and its parameters, before the request;
- ``botocore.parsers``: the response's status and headers;
- ``botocore.retryhandler``: how many retries a call took.

With DEBUG off for these loggers a call pays two dict lookups (``debugging``).
"""

from __future__ import annotations

import logging
from typing import Any

ENDPOINT = logging.getLogger("botocore.endpoint")
PARSERS = logging.getLogger("botocore.parsers")
RETRIES = logging.getLogger("botocore.retryhandler")

# The parameters whose values never reach a log line (the model's `sensitive` members).
SECRET_PARAMS = frozenset(
    {"SSECustomerKey", "CopySourceSSECustomerKey", "SSEKMSKeyId", "SSEKMSEncryptionContext"}
)
SECRET_HEADERS = frozenset(
    {
        "x-amz-server-side-encryption-customer-key",
        "x-amz-copy-source-server-side-encryption-customer-key",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-server-side-encryption-context",
    }
)


DEBUG = logging.DEBUG
# Logger.isEnabledFor's per-level answers, cleared in place by logging on every level change
# (an empty stand-in where a logging module keeps none: then every check asks isEnabledFor).
# Both holding False for DEBUG means DEBUG is off, whatever `disabled` says.
ENDPOINT_LEVELS: dict[int, bool] = getattr(ENDPOINT, "_cache", {})
PARSERS_LEVELS: dict[int, bool] = getattr(PARSERS, "_cache", {})


def debugging() -> bool:
    """``isEnabledFor(DEBUG)`` of botocore.endpoint or botocore.parsers, read from the
    loggers' own per-level caches where filled (what ``isEnabledFor`` reads; logging empties
    them whenever a level changes). It runs on every call, under the GIL: the two method
    calls cost more than the rest of the Python between a call and the native dispatch."""
    endpoint = ENDPOINT_LEVELS.get(DEBUG)
    parsers = PARSERS_LEVELS.get(DEBUG)
    if endpoint is None or parsers is None:  # not asked since the last change
        return ENDPOINT.isEnabledFor(DEBUG) or PARSERS.isEnabledFor(DEBUG)
    return bool((endpoint and not ENDPOINT.disabled) or (parsers and not PARSERS.disabled))


def set_stream_logger(
    name: str = "botocore", level: int = logging.DEBUG, format_string: str | None = None
) -> None:
    """boto3's ``set_stream_logger``: a stream handler on ``name`` at ``level``. The default
    name is ``'botocore'`` (where s3seal's request logs go), not boto3's ``'boto3'``."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(
        logging.Formatter(format_string or "%(asctime)s %(name)s [%(levelname)s] %(message)s")
    )
    logger.addHandler(handler)


def redacted(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as a log line may show them: secrets and bodies replaced."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name in SECRET_PARAMS and value is not None:
            out[name] = "<redacted>"
        elif name == "Body" and value is not None:
            out[name] = f"<{type(value).__name__}>"
        elif isinstance(value, dict):
            out[name] = redacted(value)
        else:
            out[name] = value
    return out


def _headers(meta: dict[str, Any]) -> dict[str, Any]:
    headers = meta.get("HTTPHeaders", {})
    return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def call(native_call: Any, client: Any, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``native_call(client, operation, kwargs)``, logged when DEBUG is on."""
    if not debugging():
        return native_call(client, operation, kwargs)  # type: ignore[no-any-return]
    ENDPOINT.debug("Making request for OperationModel(name=%s) with params: %r", operation, redacted(kwargs))
    try:
        parsed: dict[str, Any] = native_call(client, operation, kwargs)
    except Exception as e:
        response = getattr(e, "response", None)
        if isinstance(response, dict):
            _log_response(response.get("ResponseMetadata", {}))
        raise
    _log_response(parsed.get("ResponseMetadata", {}))
    return parsed


def _log_response(meta: dict[str, Any]) -> None:
    PARSERS.debug("Response status: %s", meta.get("HTTPStatusCode"))
    PARSERS.debug("Response headers: %r", _headers(meta))
    if meta.get("RetryAttempts"):
        RETRIES.debug("Request took %s retries", meta["RetryAttempts"])
