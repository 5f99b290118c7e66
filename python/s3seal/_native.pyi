"""s3seal's native core (Rust). Use it through ``s3seal``: these docs are its API reference."""

from collections.abc import Callable
from typing import Any, final

from typing_extensions import disjoint_base

__all__ = ["Client", "RawStream"]

@final
class RawStream:
    """The wire side of a response body; read through ``s3seal.StreamingBody``."""

    def read(self, amt: int | None = None) -> bytes:
        """Read ``amt`` bytes (fewer only at the end), or everything left when None.

        The GIL is released while waiting; a full read allocates the result once.
        """

    def close(self) -> None:
        """Stop reading; the connection is dropped, not reused."""

    @property
    def closed(self) -> bool: ...

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
        verify: str | None = None,
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
    ) -> None:
        """The upload engine: ``source`` is a path (str) or a readable file object."""

    def _download(
        self,
        target: Any,
        requests: dict[str, dict[str, Any]],
        callback: Callable[[int], Any] | None,
        plan: tuple[int, int, int, int, int, int | None],
    ) -> None:
        """The download engine: ``target`` is a path (str) or a writable file object."""

    def _copy(
        self,
        size: int,
        requests: dict[str, dict[str, Any]],
        callback: Callable[[int], Any] | None,
        plan: tuple[int, int, int, int, int, int | None],
    ) -> None:
        """The managed-copy engine, after the HeadObject on the source."""

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        """PutObject. ``Body``: bytes, bytearray, memoryview, str or a readable file object.

        SSE-C: ``SSECustomerAlgorithm='AES256', SSECustomerKey=<32 bytes or str>`` (base64
        and MD5 computed as botocore does), or a base64 key plus ``SSECustomerKeyMD5``
        (passed through). SSE-KMS / SSE-S3: ``ServerSideEncryption``, ``SSEKMSKeyId``,
        ``SSEKMSEncryptionContext``, ``BucketKeyEnabled``.

        Raises:
            ParamValidationError: unknown, missing or mistyped parameters (botocore's text).
            ClientError: the server refused (``client.exceptions.AccessDenied``, ...).
            InsecureTransportError: an SSE-C key would go over plain http off this machine.
        """

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        """GetObject; ``['Body']`` is a ``StreamingBody``. SSE-C objects need their key."""

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        """HeadObject. Errors carry botocore's synthesized codes ('400', '403', '404')."""

    def copy_object(self, **kwargs: Any) -> dict[str, Any]:
        """CopyObject. ``CopySourceSSECustomer*`` with ``SSECustomer*`` rotates an SSE-C key."""

    def delete_object(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteObject."""

    def delete_objects(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteObjects (``Delete={'Objects': [{'Key': ...}], 'Quiet': bool}``)."""

    def list_objects_v2(self, **kwargs: Any) -> dict[str, Any]:
        """ListObjectsV2 (keys are url-encoded on the wire and decoded, as in botocore)."""

    def create_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """CreateBucket."""

    def delete_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteBucket."""

    def head_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """HeadBucket."""
    def create_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        """botocore's ``create_multipart_upload``."""
    def upload_part(self, **kwargs: Any) -> dict[str, Any]:
        """botocore's ``upload_part``."""
    def upload_part_copy(self, **kwargs: Any) -> dict[str, Any]:
        """botocore's ``upload_part_copy``."""
    def complete_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        """botocore's ``complete_multipart_upload``."""
    def abort_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        """botocore's ``abort_multipart_upload``."""
    def list_parts(self, **kwargs: Any) -> dict[str, Any]:
        """botocore's ``list_parts``."""
    def list_multipart_uploads(self, **kwargs: Any) -> dict[str, Any]:
        """botocore's ``list_multipart_uploads``."""
