"""s3seal's native core (Rust). Use it through ``s3seal``: these docs are its API reference."""

from collections.abc import Awaitable, Callable
from typing import Any, final

from typing_extensions import disjoint_base

__all__ = [
    "Client",
    "RawStream",
    "TransferStop",
    "_resolve_credentials",
    "add_operation_methods",
    "add_streaming_body_read",
    "dispatch_directly",
]

@final
class RawStream:
    """The wire side of a response body; read through ``s3seal.StreamingBody``."""

    def read(self, amt: int | None = None) -> bytes:
        """Read ``amt`` bytes (fewer only at the end), or everything left when None.

        The GIL is released while waiting; a full read allocates the result once.
        """

    def _read_now(self, amt: int | None = None) -> bytes | None:
        """``read`` when it needs no waiting (the body arrived whole), else None."""

    def _read_async(self, amt: int | None = None) -> Awaitable[bytes]:
        """``read`` as an awaitable (the async StreamingBody); cancelled mid-read, the body closes."""

    def close(self) -> None:
        """Stop reading; the connection is dropped, not reused."""

    @property
    def closed(self) -> bool: ...

def _resolve_credentials(
    *, profile_name: str | None = None, region_name: str | None = None, env_credentials: bool = True
) -> tuple[str, str, str | None, str, str | None] | None:
    """``(access_key, secret_key, token, method, account_id)`` of the credentials a client
    of this profile would sign with (the same chain: environment unless ``env_credentials``
    is False, shared files, SSO, web identity, container and instance metadata), or None
    when there are none. ``method`` is botocore's name of the source (``'env'``,
    ``'shared-credentials-file'``, ``'sso'``...)."""

def add_operation_methods(operations: type, names: dict[str, str]) -> None:
    """Set on ``operations`` a native method per ``method: operation`` of ``names``:
    ``obj.method(**kwargs)`` is ``obj._make_api_call(operation, kwargs)``."""

def add_streaming_body_read(cls: type) -> None:
    """Set ``cls.read(amt=None)`` (``s3seal.response.StreamingBody``'s), native."""

def dispatch_directly(
    make_api_call: Callable[..., Any],
    endpoint_levels: dict[int, bool],
    parsers_levels: dict[int, bool],
    debug: int,
) -> None:
    """Let the operation methods of a client whose ``_make_api_call`` is ``make_api_call``
    run the native dispatch themselves while both loggers' caches hold False for ``debug``."""

@disjoint_base
class Client:
    """An S3 client: boto3's method names, keyword arguments and response dicts.

    Every call converts its arguments, then waits for S3 with the GIL released on the one
    shared tokio runtime; Ctrl-C interrupts the wait. After ``os.fork()`` the child
    rebuilds the runtime and connection pool on first use.

    Create it with ``s3seal.client('s3', ...)`` or ``s3seal.Session(...).client('s3')``,
    which resolve the keyword arguments below from a ``Config`` and the environment.
    """

    def __new__(
        cls,
        *,
        region_name: str | None = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        verify: bool | str | None = None,
        max_attempts: int = 5,
        retry_mode: str = "legacy",
        connect_timeout: float = 60.0,
        read_timeout: float = 60.0,
        max_pool_connections: int = 10,
        addressing_style: str | None = None,
        allow_sse_c_over_http: bool = False,
        request_checksum_calculation: str | None = None,
        response_checksum_validation: str | None = None,
        payload_signing_enabled: bool | None = None,
        cap_connections: bool = False,
        unsigned: bool = False,
        env_credentials: bool = True,
        user_agent: str | None = None,
    ) -> Client: ...
    @property
    def endpoint_url(self) -> str:
        """The endpoint requests go to."""

    @property
    def region_name(self) -> str | None:
        """The region given to the client, if any."""

    @property
    def _request_checksum_calculation(self) -> str:
        """``'when_required'`` or ``'when_supported'`` (whether transfers add a CRC32)."""

    def _upload(
        self,
        source: Any,
        requests: dict[str, dict[str, Any]],
        callback: Callable[[int], Any] | None,
        plan: tuple[int, int, int, int, int, int | None],
        size: int | None = None,
        events: Any = None,
        stop: TransferStop | None = None,
    ) -> None:
        """The upload engine: ``source`` is a path (str) or a readable file object;
        ``events`` fires the parameter-level events per request (None: none registered)."""

    def _download(
        self,
        target: Any,
        requests: dict[str, dict[str, Any]],
        callback: Callable[[int], Any] | None,
        plan: tuple[int, int, int, int, int, int | None],
        events: Any = None,
        stop: TransferStop | None = None,
    ) -> None:
        """The download engine: ``target`` is a path (str) or a writable file object."""

    def _copy(
        self,
        size: int,
        requests: dict[str, dict[str, Any]],
        callback: Callable[[int], Any] | None,
        plan: tuple[int, int, int, int, int, int | None],
        events: Any = None,
        stop: TransferStop | None = None,
    ) -> None:
        """The managed-copy engine, after the HeadObject on the source."""

    def _call_async(self, operation: str, kwargs: dict[str, Any] | None = None) -> Awaitable[dict[str, Any]]:
        """``_call`` as an awaitable on s3seal's runtime; cancelling it drops the request."""

    def _set_request_hook(self, hook: Any = None) -> None:
        """The callable that fires before-call/before-sign/before-send (None: none)."""

    def _presign(
        self, operation: str, kwargs: dict[str, Any] | None, expires_in: int, http_method: str | None = None
    ) -> str:
        """A presigned URL for ``operation`` (``generate_presigned_url``)."""

    def _sign_post_policy(self, policy: str, epoch_seconds: int) -> tuple[str, str | None, str] | None:
        """``(x-amz-credential, session token, signature)`` for ``generate_presigned_post``;
        None for an anonymous client (``unsigned=True``)."""

    def _call(self, operation: str, kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
        """The one dispatch of every operation: the model's name (``"PutObject"``) and
        boto3's keyword arguments; ``S3Client._make_api_call`` calls it.

        Raises:
            ParamValidationError: unknown, missing or mistyped parameters (botocore's text).
            ClientError: the server refused (``client.exceptions.AccessDenied``, ...).
            InsecureTransportError: an SSE-C key would go over plain http off this machine.
            AttributeError: S3 has no operation of that name.
        """

@final
class TransferStop:
    """Stops a transfer from another thread; it then cleans up and fails with ``exception``."""

    def __new__(cls, exception: BaseException) -> TransferStop: ...
    def stop(self) -> None:
        """Stop the transfer this was given to (or the next one, if it has not started)."""
