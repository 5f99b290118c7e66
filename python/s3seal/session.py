"""``s3seal.Session`` and ``s3seal.client``: boto3's entry points, for S3."""

from __future__ import annotations

import configparser
import ipaddress
import os
import shlex
import urllib.parse
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from s3seal import _native, logs, transfer
from s3seal._ops import Operations
from s3seal.client_surface import ClientSurface
from s3seal.config import DEFAULT_ATTEMPTS, Config, client_options, is_unsigned
from s3seal.exceptions import InvalidConfigError, ProfileNotFound

if TYPE_CHECKING:  # imported on first use: botocore.credentials is not light
    from s3seal.credentials import Credentials

# The native client's keyword arguments that carry a secret: never recorded, never pickled.
_CREDENTIAL_ARGS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_native_call: Any = _native.Client._call
_DEBUG, _ENDPOINT_LEVELS, _PARSERS_LEVELS = logs.DEBUG, logs.ENDPOINT_LEVELS, logs.PARSERS_LEVELS


def _config_path(env_var: str, default: str) -> str:
    """A shared file's path as botocore finds it (environment, then default; ~ and $VARS)."""
    return os.path.expanduser(os.path.expandvars(os.environ.get(env_var, default)))


def _read_ini(path: str) -> dict[str, dict[str, Any]]:
    """botocore's ``raw_config_parse``: sections of key/values, indented blocks as dicts.

    A missing or unparseable file reads as empty (s3seal has always been lenient here;
    botocore raises ConfigParseError for a broken file).
    """
    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError):
        return {}
    return {
        section: {key: _nested(parser.get(section, key)) for key in parser.options(section)}
        for section in parser.sections()
    }


def _nested(value: str) -> Any:
    """An indented block under ``s3 =`` -> a dict of its ``key = value`` lines (botocore's
    ``_parse_nested``); other values unchanged. Lines without ``=`` are skipped (botocore
    refuses the file; s3seal stays lenient, as for the rest of the file)."""
    if not value.startswith("\n"):
        return value
    pairs = (line.split("=", 1) for line in value.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def _named_section(section: str) -> str | None:
    """``profile x`` / ``services x`` -> ``x``, as botocore's shlex-based _parse_section."""
    try:
        parts = shlex.split(section)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


@dataclass(frozen=True)
class SharedConfig:
    """The shared config and credentials files, grouped as botocore's ``full_config``."""

    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> SharedConfig:
        loaded = cls()
        for section, values in _read_ini(_config_path("AWS_CONFIG_FILE", "~/.aws/config")).items():
            for prefix, group in (("profile", loaded.profiles), ("services", loaded.services)):
                if section.startswith(prefix):
                    name = _named_section(section)
                    if name is not None:
                        group[name] = values
                    break
            else:
                if section == "default":
                    loaded.profiles["default"] = values
        # The credentials file's sections are profiles too, merged over the config file's.
        creds = _read_ini(_config_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))
        for name, values in creds.items():
            loaded.profiles.setdefault(name, {}).update(values)
        return loaded

    def scoped(self, profile: str | None) -> dict[str, Any]:
        """The profile's settings (botocore's ``get_scoped_config``); ``default`` when None."""
        if profile is None:
            return self.profiles.get("default", {})
        if profile not in self.profiles:
            raise ProfileNotFound(profile=profile)
        return self.profiles[profile]


def _ensure_boolean(value: Any) -> bool:
    """botocore's ``utils.ensure_boolean``: only ``True`` or a case-insensitive 'true'."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.lower() == "true"


def _ignore_configured_endpoint_urls(config: Any, scoped: Mapping[str, Any]) -> bool:
    """botocore's precedence: the client Config, then the environment, then the profile."""
    from_config = getattr(config, "ignore_configured_endpoint_urls", None)
    if from_config is not None:
        return bool(from_config)
    if "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" in os.environ:
        return _ensure_boolean(os.environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"])
    return _ensure_boolean(scoped.get("ignore_configured_endpoint_urls"))


def _services_endpoint_url(shared: SharedConfig, scoped: Mapping[str, Any]) -> str | None:
    """``services = x`` in the profile, then ``[services x]`` / ``s3 = endpoint_url = ...``.

    Like botocore, only the ``s3`` subsection counts (a bare ``endpoint_url`` directly in
    a services section is not read), and naming a missing section is an error.
    """
    if "services" not in scoped:
        return None
    section = shared.services.get(scoped["services"])
    if not section:
        raise InvalidConfigError(
            error_msg=f"The profile is configured to use the services section but the "
            f'"{scoped["services"]}" services configuration does not exist.'
        )
    s3 = section.get("s3")
    return s3.get("endpoint_url") if isinstance(s3, dict) else None


def resolve_endpoint_url(
    endpoint_url: str | None, config: Any, shared: SharedConfig, scoped: Mapping[str, Any]
) -> str | None:
    """The endpoint a client talks to, with botocore's full precedence (args.py,
    ``ConfiguredEndpointProvider``); None means S3's own endpoint for the region.

    The explicit argument wins; unless configured endpoints are ignored, then come
    ``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``, the profile's services section and the
    profile's ``endpoint_url``. Empty values are skipped, as botocore does.
    """
    if endpoint_url is not None:
        return endpoint_url
    if _ignore_configured_endpoint_urls(config, scoped):
        return None
    # Lazily, in order: a broken services reference only matters when it is reached.
    sources: tuple[Callable[[], str | None], ...] = (
        lambda: os.environ.get("AWS_ENDPOINT_URL_S3"),
        lambda: os.environ.get("AWS_ENDPOINT_URL"),
        lambda: _services_endpoint_url(shared, scoped),
        lambda: scoped.get("endpoint_url"),
    )
    for source in sources:
        url = source()
        if url:
            return url
    return None


def resolve_verify(verify: bool | str | None, scoped: Mapping[str, Any]) -> bool | str | None:
    """What to trust: the ``verify`` argument, else ``AWS_CA_BUNDLE``, else the profile's
    ``ca_bundle`` (botocore's ``ca_bundle`` variable); None means the system roots."""
    if verify is not None:
        return verify
    bundle = os.environ.get("AWS_CA_BUNDLE") if "AWS_CA_BUNDLE" in os.environ else scoped.get("ca_bundle")
    return bundle or None


def _rebuild_client(options: dict[str, Any]) -> S3Client:
    """Unpickle a client: the same configuration, credentials from the chain here."""
    return S3Client(**options)


# A private option: whether the attempt count was configured (Config, AWS_MAX_ATTEMPTS or the
# profile's max_attempts), which decides whether client.meta.config.retries reports it, as
# botocore's does. Kept for the surface and pickling; never given to the native client.
MAX_ATTEMPTS_CONFIGURED = "_max_attempts_configured"


def _profile_retries(options: dict[str, Any], config: Any, scoped: Mapping[str, Any]) -> dict[str, Any]:
    """The retry mode and attempts with botocore's precedence: the Config's ``retries``, then
    AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, then the profile's ``retry_mode`` / ``max_attempts``,
    then the mode's default (client_options has done all but the profile)."""
    retries = dict(getattr(config, "retries", None) or {})
    configured = (
        "total_max_attempts" in retries
        or "max_attempts" in retries
        or bool(os.environ.get("AWS_MAX_ATTEMPTS"))
    )
    options = dict(options)
    mode = scoped.get("retry_mode")
    if "mode" not in retries and not os.environ.get("AWS_RETRY_MODE") and mode:
        if mode not in DEFAULT_ATTEMPTS:
            raise ValueError(f"Invalid retry mode {mode!r}: must be one of legacy, standard, adaptive")
        options["retry_mode"] = mode
        if not configured:
            options["max_attempts"] = DEFAULT_ATTEMPTS[mode]
    if not configured and scoped.get("max_attempts"):
        options["max_attempts"] = max(1, int(scoped["max_attempts"]))
        configured = True
    options[MAX_ATTEMPTS_CONFIGURED] = configured
    return options


def _is_ip_endpoint(endpoint_url: str) -> bool:
    """Whether the endpoint's host is an IP address (the S3 endpoint rules' ``url#isIp``)."""
    host = urllib.parse.urlsplit(endpoint_url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _native_options(options: dict[str, Any]) -> dict[str, Any]:
    """The native client's arguments: without the surface's private options, and with the
    addressing the S3 endpoint rules resolve to. botocore's rules address a bucket in the host
    only when the endpoint is not an IP address: with ``addressing_style='virtual'``, an
    endpoint such as ``http://127.0.0.1:9000`` still gets path-style URLs."""
    native = {k: v for k, v in options.items() if k != MAX_ATTEMPTS_CONFIGURED}
    endpoint = native.get("endpoint_url")
    if native.get("addressing_style") == "virtual" and endpoint and _is_ip_endpoint(endpoint):
        native["addressing_style"] = "path"
    return native


class S3Client(ClientSurface, Operations, _native.Client):
    """An S3 client with boto3's method names, parameters and response dicts: a method per
    operation of the model (``s3seal._ops``), all through the one native dispatch.

    It pickles by configuration (region, profile, endpoint, TLS and Config options): the
    receiving process resolves credentials from its own chain. A client given explicit keys
    refuses to pickle rather than write them into the pickle.
    """

    def _make_api_call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        # The native dispatch, logged (redacted) under botocore's names when DEBUG is on.
        # DEBUG off as logging's caches tell is read here, two lookups (a call of
        # logs.debugging() cost as much again); the operation methods read it the same way
        # and skip this frame (see dispatch_directly below).
        if _ENDPOINT_LEVELS.get(_DEBUG) is False and _PARSERS_LEVELS.get(_DEBUG) is False:
            return _native_call(self, operation, kwargs)  # type: ignore[no-any-return]
        if logs.debugging():
            return logs.call(_native_call, self, operation, kwargs)
        return _native_call(self, operation, kwargs)  # type: ignore[no-any-return]

    def __new__(cls, **options: Any) -> S3Client:
        # The native client gets the addressing the S3 endpoint rules resolve to; the
        # options as given stay what ``client.meta.config`` and pickling see.
        native: Any = super()
        return native.__new__(cls, **_native_options(options))  # type: ignore[no-any-return]

    def __init__(self, **options: Any) -> None:
        # The native __new__ has consumed ``options``; keep the non-secret ones to rebuild
        # from, and only whether secrets were given.
        self._options = {k: v for k, v in options.items() if k not in _CREDENTIAL_ARGS}
        self._static_credentials = any(options.get(k) is not None for k in _CREDENTIAL_ARGS)
        super().__init__(**self._options)

    def __reduce__(self) -> tuple[Any, ...]:
        if self._static_credentials:
            raise TypeError(
                "cannot pickle an s3seal client created with explicit credentials: they would "
                "be written into the pickle. Create it without aws_access_key_id/"
                "aws_secret_access_key (environment, profile or instance credentials are "
                "resolved again where it is unpickled)."
            )
        return _rebuild_client, (self._options,)

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


# The operation methods (src/methods.rs) run the native dispatch themselves when a client's
# _make_api_call is this one and the logging caches it reads say DEBUG is off.
_native.dispatch_directly(S3Client._make_api_call, _ENDPOINT_LEVELS, _PARSERS_LEVELS, _DEBUG)


# Explicit static credentials of each Session, kept out of the object's own state so that
# ``vars(session)``, its repr and any attempt to pickle it never see them.
_SESSION_CREDENTIALS: weakref.WeakKeyDictionary[Session, tuple[str | None, str | None, str | None]] = (
    weakref.WeakKeyDictionary()
)


def _in_credentials_file(profile: str | None, access_key: str) -> bool:
    """Whether the shared credentials file's profile holds this access key."""
    section = _read_ini(_config_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")).get(
        profile or "default", {}
    )
    return bool(section.get("aws_access_key_id") == access_key)


def _rebuild_session(profile_name: str | None, region_name: str | None) -> Session:
    return Session(profile_name=profile_name, region_name=region_name)


class Session:
    """boto3's ``Session``: where credentials, region and profile come from.

    Credentials and region follow the standard AWS chain (environment, shared config and
    credentials files and their profiles, SSO, web identity, container and instance
    metadata) unless given here. A Session pickles by profile and region only; one given
    explicit credentials refuses to pickle.

    Raises:
        ProfileNotFound: ``profile_name`` (or ``AWS_DEFAULT_PROFILE`` / ``AWS_PROFILE``)
            names no known profile.
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
        # botocore's order: AWS_DEFAULT_PROFILE before AWS_PROFILE.
        profile = profile_name or os.environ.get("AWS_DEFAULT_PROFILE") or os.environ.get("AWS_PROFILE")
        if profile is not None:
            SharedConfig.load().scoped(profile)  # raises ProfileNotFound
        self._profile = profile
        # botocore: a profile given here (not one from AWS_PROFILE) takes the environment's
        # keys out of the credential chain.
        self._env_credentials = profile_name is None
        self._region_name = region_name
        self._account_id = aws_account_id
        if (aws_access_key_id, aws_secret_access_key, aws_session_token) != (None, None, None):
            _SESSION_CREDENTIALS[self] = (aws_access_key_id, aws_secret_access_key, aws_session_token)

    def get_credentials(self) -> Credentials | None:
        """boto3's ``Session.get_credentials()``: the credentials a client of this session
        signs with (``access_key``, ``secret_key``, ``token``, ``method``,
        ``get_frozen_credentials()``), or None when there are none.

        The keys given to the Session (``method`` ``'explicit'``), else the chain a client
        resolves them from (environment, shared credentials and config files, SSO, web
        identity, container and instance metadata), resolved afresh on each call.
        """
        from s3seal.credentials import Credentials

        explicit = _SESSION_CREDENTIALS.get(self)
        if explicit is not None:
            access_key, secret_key, token = explicit
            return Credentials(access_key, secret_key, token, method="explicit", account_id=self._account_id)
        resolved = _native._resolve_credentials(
            profile_name=self._profile, region_name=self._region_name, env_credentials=self._env_credentials
        )
        if resolved is None:
            return None
        access_key, secret_key, token, method, account_id = resolved
        if method == "shared-credentials-file" and not _in_credentials_file(self._profile, access_key):
            method = "config-file"  # botocore's name for keys in the config file's profile
        return Credentials(access_key, secret_key, token, method=method, account_id=account_id)

    @property
    def profile_name(self) -> str:
        return self._profile or "default"

    @property
    def available_profiles(self) -> list[str]:
        """The profiles of the shared config and credentials files."""
        return list(SharedConfig.load().profiles)

    def get_available_services(self) -> list[str]:
        """The services this session makes clients for: s3seal's is S3."""
        return ["s3"]

    def get_available_resources(self) -> list[str]:
        """The services this session makes resources for: s3seal's is S3."""
        return ["s3"]

    def get_available_partitions(self) -> list[str]:
        """botocore's partitions (``aws``, ``aws-cn``, ...), from its endpoints data."""
        from s3seal._data import PARTITIONS

        return list(PARTITIONS)

    def get_available_regions(
        self, service_name: str, partition_name: str = "aws", allow_non_regional: bool = False
    ) -> list[str]:
        """S3's endpoints in a partition, as botocore lists them: its regions, plus the
        non-regional ones (``aws-global``, ``fips-*``...) with ``allow_non_regional``; none
        for an unknown partition.

        Raises:
            ValueError: a service other than S3 (s3seal has no data for it).
        """
        from s3seal._data import PARTITIONS

        if service_name != "s3":
            raise ValueError(f"s3seal provides only the 's3' client, not {service_name!r}")
        partition = PARTITIONS.get(partition_name)
        if partition is None:
            return []
        return [e for e in partition["s3"] if allow_non_regional or e in partition["regions"]]

    def get_partition_for_region(self, region_name: str) -> str:
        """The partition a region is in (botocore's rule: listed there, or its regionRegex).

        Raises:
            UnknownRegionError: no partition has the region.
        """
        from s3seal.meta import partition_for_region

        return partition_for_region(region_name)

    @property
    def events(self) -> SessionEvents:
        """botocore's ``session.events`` (see :class:`SessionEvents`)."""
        events = self.__dict__.get("_events")
        if events is None:
            events = self.__dict__["_events"] = SessionEvents()
        return events

    @property
    def region_name(self) -> str | None:
        return self._region_name

    def __repr__(self) -> str:
        return f"Session(region_name={self._region_name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self in _SESSION_CREDENTIALS:
            raise TypeError(
                "cannot pickle an s3seal Session created with explicit credentials: they would "
                "be written into the pickle. Use a profile or environment credentials, which "
                "are resolved again where it is unpickled."
            )
        return _rebuild_session, (self._profile, self._region_name)

    # What ``client()`` builds; ``s3seal.aio`` resolves through the same code for its client.
    client_class: type[S3Client] = S3Client

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
        """Create an S3 client, as ``boto3.Session.client('s3', ...)`` does.

        ``endpoint_url`` and ``verify`` are resolved here with botocore's precedence, and the
        native client is given the final values (see ``resolve_endpoint_url``).

        Raises:
            InvalidConfigError: the profile names a ``[services ...]`` section that is missing.
        """
        if service_name != "s3":
            raise ValueError(f"s3seal provides only the 's3' client, not {service_name!r}")
        config = config if config is not None else Config()
        if is_unsigned(config):
            # botocore's anonymous client has no credentials, given ones included.
            aws_access_key_id = aws_secret_access_key = aws_session_token = None
        elif aws_access_key_id is None and aws_secret_access_key is None:
            aws_access_key_id, aws_secret_access_key, session_token = _SESSION_CREDENTIALS.get(
                self, (None, None, None)
            )
            aws_session_token = aws_session_token or session_token
        shared = SharedConfig.load()
        scoped = shared.scoped(self._profile)
        events: SessionEvents | None = self.__dict__.get("_events")
        cls = events.client_class(self.client_class) if events is not None else self.client_class
        client = cls(
            region_name=region_name or getattr(config, "region_name", None) or self._region_name,
            profile_name=self._profile,
            endpoint_url=resolve_endpoint_url(endpoint_url, config, shared, scoped),
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            verify=resolve_verify(verify, scoped),
            **_profile_retries(client_options(config), config, scoped),
            **({} if self._env_credentials else {"env_credentials": False}),
        )
        if events is not None:
            events.copy_to(client)
        return client

    def resource(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """boto3's resource API (``s3.Bucket(...)``, ``s3.Object(...)``...) over a client made
        with the same arguments as ``client()``; the client is ``resource.meta.client``."""
        from s3seal.resources import create_resource

        return create_resource(self.client(service_name, *args, **kwargs))


class SessionEvents:
    """``session.events``: botocore's session emitter, for what an s3seal session does with it.

    - ``creating-client-class.s3``: fired when the session makes a client, with botocore's
      ``class_attributes`` (a dict, empty) and ``base_classes`` (a list holding the client
      class); handlers may add methods or insert base classes, and the client is an instance
      of ``type('S3', tuple(base_classes), class_attributes)``, as botocore builds it.
    - any client event s3seal fires (``before-call.s3.PutObject``, ...): registered on every
      client the session makes from then on, as botocore copies the session's emitter into
      each new client.

    Any other event name raises :class:`s3seal.events.UnsupportedEventError`, as
    ``client.meta.events`` does: a handler that would never run is refused.
    """

    CLIENT_CLASS_EVENT = "creating-client-class"

    def __init__(self) -> None:
        from s3seal.events import _PrefixTrie

        self._class_handlers = _PrefixTrie()
        self._has_class_handlers = False
        # (method, event_name, handler, unique_id, unique_id_uses_count) in registration
        # order, replayed on each new client's meta.events.
        self._client_registrations: list[tuple[str, str, Any, Any, bool]] = []

    def register(
        self, event_name: str, handler: Any, unique_id: Any = None, unique_id_uses_count: bool = False
    ) -> None:
        self._register("register", "middle", event_name, handler, unique_id, unique_id_uses_count)

    def register_first(
        self, event_name: str, handler: Any, unique_id: Any = None, unique_id_uses_count: bool = False
    ) -> None:
        self._register("register_first", "first", event_name, handler, unique_id, unique_id_uses_count)

    def register_last(
        self, event_name: str, handler: Any, unique_id: Any = None, unique_id_uses_count: bool = False
    ) -> None:
        self._register("register_last", "last", event_name, handler, unique_id, unique_id_uses_count)

    def unregister(
        self,
        event_name: str,
        handler: Any = None,
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        if self._is_class_event(event_name):
            if handler is not None:
                self._class_handlers.remove(event_name, handler)
            return
        for i, (_, name, registered, uid, _) in enumerate(self._client_registrations):
            if name == event_name and (
                (unique_id is not None and uid == unique_id) or (unique_id is None and registered == handler)
            ):
                del self._client_registrations[i]
                return

    def _is_class_event(self, event_name: str) -> bool:
        parts = event_name.split(".")
        return parts[0] == self.CLIENT_CLASS_EVENT and len(parts) <= 2 and parts[1:] in ([], ["s3"], ["*"])

    def _register(
        self, method: str, section: str, event_name: str, handler: Any, unique_id: Any, uses_count: bool
    ) -> None:
        if not callable(handler):
            raise ValueError(f"Event handler {handler} must be callable.")
        if self._is_class_event(event_name):
            self._class_handlers.append(event_name, handler, section)
            self._has_class_handlers = True
            return
        from s3seal.events import UnsupportedEventError, _check

        try:
            _check(event_name)
        except UnsupportedEventError as e:
            raise UnsupportedEventError(
                f"{e} On a session, s3seal also fires 'creating-client-class.s3'."
            ) from None
        self._client_registrations.append((method, event_name, handler, unique_id, uses_count))

    def client_class(self, base: type[S3Client]) -> type[S3Client]:
        """The class of a new client: ``base``, or what creating-client-class handlers made."""
        if not self._has_class_handlers:
            return base
        event = f"{self.CLIENT_CLASS_EVENT}.s3"
        class_attributes: dict[str, Any] = {}
        base_classes: list[type] = [base]
        for handler in self._class_handlers.prefix_search(event):
            handler(class_attributes=class_attributes, base_classes=base_classes, event_name=event)
        return type("S3", tuple(base_classes), class_attributes)

    def copy_to(self, client: S3Client) -> None:
        """Register the session's client handlers on a new client."""
        if not self._client_registrations:
            return
        events: Any = client.meta.events
        for method, name, handler, unique_id, uses_count in self._client_registrations:
            getattr(events, method)(name, handler, unique_id=unique_id, unique_id_uses_count=uses_count)


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


def resource(service_name: str, *args: Any, **kwargs: Any) -> Any:
    """``boto3.resource('s3', ...)``: a service resource of the default session."""
    return _get_default_session().resource(service_name, *args, **kwargs)
