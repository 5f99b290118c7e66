"""``s3seal.Session`` and ``s3seal.client``: boto3's entry points, for S3."""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable
from typing import Any

from s3seal import _native, transfer
from s3seal._ops import Operations
from s3seal.client_surface import ClientSurface
from s3seal.config import Config, client_options
from s3seal.exceptions import ProfileNotFound


def _profiles() -> set[str]:
    """Profile names in the shared config and credentials files, as botocore reads them."""
    found: set[str] = set()
    config_file = os.path.expanduser(os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"))
    creds_file = os.path.expanduser(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))
    for path, is_config in ((config_file, True), (creds_file, False)):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path)
        except configparser.Error:
            continue
        for section in parser.sections():
            name = section.strip()
            if is_config and name.startswith("profile "):
                name = name[len("profile ") :].strip()
            found.add(name)
    return found


class S3Client(ClientSurface, Operations, _native.Client):
    """An S3 client with boto3's method names, parameters and response dicts: a method per
    operation of the model (``s3seal._ops``), all through the one native dispatch."""

    _make_api_call = _native.Client._call

    @property
    def exceptions(self) -> Any:
        """The modeled error classes (``client.exceptions.NoSuchKey``, ...)."""
        from s3seal.exceptions import S3_EXCEPTIONS

        return S3_EXCEPTIONS

    def __repr__(self) -> str:
        return f"<s3seal.S3Client endpoint_url={self.endpoint_url!r}>"

    def upload_file(
        self,
        Filename: Any,
        Bucket: str,
        Key: str,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """Upload a file, multipart from ``Config.multipart_threshold`` (boto3's upload_file).

        Raises:
            S3UploadFailedError: S3 refused a request (wraps the ClientError's text).
            FileNotFoundError: (and other OSError) the local file cannot be read.
            ValueError: an ``ExtraArgs`` key s3transfer does not allow.
        """
        transfer.upload_file(self, Filename, Bucket, Key, ExtraArgs, Callback, Config)

    def upload_fileobj(
        self,
        Fileobj: Any,
        Bucket: str,
        Key: str,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """Upload a readable binary file object (boto3's upload_fileobj)."""
        transfer.upload_fileobj(self, Fileobj, Bucket, Key, ExtraArgs, Callback, Config)

    def download_file(
        self,
        Bucket: str,
        Key: str,
        Filename: Any,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """Download to a file through a temporary file renamed on success (boto3's download_file).

        Raises:
            ClientError: code ``'404'`` when the object does not exist.
        """
        transfer.download_file(self, Bucket, Key, Filename, ExtraArgs, Callback, Config)

    def download_fileobj(
        self,
        Bucket: str,
        Key: str,
        Fileobj: Any,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        Config: Any = None,
    ) -> None:
        """Download into a writable binary file object, in order (boto3's download_fileobj)."""
        transfer.download_fileobj(self, Bucket, Key, Fileobj, ExtraArgs, Callback, Config)

    def copy(
        self,
        CopySource: Any,
        Bucket: str,
        Key: str,
        ExtraArgs: dict[str, Any] | None = None,
        Callback: Callable[[int], Any] | None = None,
        SourceClient: Any = None,
        Config: Any = None,
    ) -> None:
        """Managed copy, multipart above the threshold (boto3's copy); ``CopySourceSSECustomer*``
        in ExtraArgs reads an SSE-C source, ``SSECustomer*`` sets the new key."""
        transfer.copy(self, CopySource, Bucket, Key, ExtraArgs, Callback, SourceClient, Config)


class Session:
    """boto3's ``Session``: where credentials, region and profile come from.

    Credentials and region follow the standard AWS chain (environment, shared config and
    credentials files and their profiles, SSO, web identity, container and instance
    metadata) unless given here.

    Raises:
        ProfileNotFound: ``profile_name`` (or ``AWS_PROFILE``) names no known profile.
    """

    def __init__(
        self,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        region_name: str | None = None,
        botocore_session: Any = None,
        profile_name: str | None = None,
        aws_account_id: str | None = None,
    ) -> None:
        profile = profile_name or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
        if profile is not None and profile not in _profiles():
            raise ProfileNotFound(profile=profile)
        self._profile = profile
        self._credentials = (aws_access_key_id, aws_secret_access_key, aws_session_token)
        self._region_name = region_name

    @property
    def profile_name(self) -> str:
        return self._profile or "default"

    @property
    def region_name(self) -> str | None:
        return self._region_name

    def __repr__(self) -> str:
        return f"Session(region_name={self._region_name!r})"

    def client(
        self,
        service_name: str,
        region_name: str | None = None,
        api_version: str | None = None,
        use_ssl: bool = True,
        verify: bool | str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        config: Any = None,
        aws_account_id: str | None = None,
    ) -> S3Client:
        """Create an S3 client, as ``boto3.Session.client('s3', ...)`` does."""
        if service_name != "s3":
            raise ValueError(f"s3seal provides only the 's3' client, not {service_name!r}")
        if verify is False:
            raise ValueError("verify=False is not supported: pass the CA bundle's path as verify=")
        config = config if config is not None else Config()
        if aws_access_key_id is None and aws_secret_access_key is None:
            aws_access_key_id, aws_secret_access_key, session_token = self._credentials
            aws_session_token = aws_session_token or session_token
        region = region_name or getattr(config, "region_name", None) or self._region_name
        return S3Client(
            region_name=region,
            profile_name=self._profile,
            endpoint_url=endpoint_url,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            verify=verify if isinstance(verify, str) else None,
            **client_options(config),
        )


_default_session: Session | None = None


def _get_default_session() -> Session:
    global _default_session
    if _default_session is None:
        _default_session = Session()
    return _default_session


def setup_default_session(**kwargs: Any) -> None:
    """Replace the default session (boto3's ``setup_default_session``)."""
    global _default_session
    _default_session = Session(**kwargs)


def client(service_name: str, *args: Any, **kwargs: Any) -> S3Client:
    """``boto3.client('s3', ...)``: a client of the default session."""
    return _get_default_session().client(service_name, *args, **kwargs)
