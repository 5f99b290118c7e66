"""The rest of boto3's client object around the operations: ``meta``, paginators, waiters,
``close()`` and the context manager, from botocore's data files (``s3seal._data``).

:class:`ClientSurface` is a mixin of ``S3Client``. It needs from its host only the
generated operation methods and the native client's ``region_name`` and ``endpoint_url``;
it records the native client's keyword arguments when the client is created, to report
the configuration in ``client.meta.config``.
"""

from __future__ import annotations

import configparser
import os
import weakref
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from s3seal import logs
from s3seal.config import DEFAULT_ATTEMPTS, UNSIGNED, Config
from s3seal.events import REQUEST_EVENTS, AWSRequest, EventHooks, HTTPResponse, request_dict
from s3seal.exceptions import OperationNotPageableError

if TYPE_CHECKING:  # the modules themselves are imported on first use
    from s3seal.meta import ClientMeta
    from s3seal.paginate import Paginator
    from s3seal.waiter import Waiter

_Client = TypeVar("_Client", bound="ClientSurface")

# botocore's region for an S3 client that was given none (its global endpoint's region).
DEFAULT_REGION = "us-east-1"


def _profile_region(profile: str | None) -> str | None:
    """The ``region`` of the profile in the shared config file, as botocore reads it."""
    path = os.path.expanduser(os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"))
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        return None
    name = profile or "default"
    # In the config file a profile is "[profile NAME]"; only the default may be bare.
    sections = ("default", "profile default") if name == "default" else (f"profile {name}",)
    for section in sections:
        if parser.has_option(section, "region"):
            return parser.get(section, "region")
    return None


def _resolve_region(options: dict[str, Any]) -> str:
    """botocore's precedence: the client's argument (or Config), AWS_DEFAULT_REGION, the profile."""
    return (
        options.get("region_name")
        or os.environ.get("AWS_DEFAULT_REGION")
        or _profile_region(options.get("profile_name"))
        or DEFAULT_REGION
    )


def _retries(options: dict[str, Any]) -> dict[str, Any]:
    """The retry settings as botocore normalises them: the mode, plus ``total_max_attempts``
    when the attempt count was configured (the Config's retries, AWS_MAX_ATTEMPTS or the
    profile's max_attempts), even to the mode's default."""
    mode = options.get("retry_mode", "legacy")
    attempts = options.get("max_attempts", DEFAULT_ATTEMPTS.get(mode))
    configured = options.get("_max_attempts_configured")  # set by Session.client
    if configured is None:  # options from elsewhere: report a count that is not the default
        configured = attempts != DEFAULT_ATTEMPTS.get(mode)
    if not configured:
        return {"mode": mode}
    return {"total_max_attempts": attempts, "mode": mode}


@dataclass(frozen=True)
class ClientConfig(Config):
    """``client.meta.config``: the client's effective Config, plus the signature version that
    botocore reports: ``'s3v4'``, or ``UNSIGNED`` for an anonymous client."""

    signature_version: Any = "s3v4"


def config_from_options(options: dict[str, Any]) -> ClientConfig:
    """The client's effective configuration, rebuilt from the native client's arguments."""
    s3 = {
        k: options[k] for k in ("addressing_style", "payload_signing_enabled") if options.get(k) is not None
    }
    if options.get("allow_sse_c_over_http"):
        s3["allow_sse_c_over_http"] = True
    return ClientConfig(
        region_name=_resolve_region(options),
        connect_timeout=options.get("connect_timeout", 60),
        read_timeout=options.get("read_timeout", 60),
        max_pool_connections=options.get("max_pool_connections", 10),
        retries=_retries(options),
        s3=s3 or None,
        request_checksum_calculation=options.get("request_checksum_calculation") or "when_supported",
        response_checksum_validation=options.get("response_checksum_validation") or "when_supported",
        signature_version=UNSIGNED if options.get("unsigned") else "s3v4",
    )


# Headers whose values are keys: never in a repr (the house rule), even of request headers.
_SECRET_HEADERS = frozenset(
    {
        "x-amz-server-side-encryption-customer-key",
        "x-amz-copy-source-server-side-encryption-customer-key",
        "authorization",
        "x-amz-security-token",
    }
)


class RequestHeaders(MutableMapping[str, str]):
    """A request's headers as the handlers of before-call, before-sign and before-send get
    them: looked up, replaced and deleted whatever the case of the name, as with botocore's
    HTTPHeaders (``request.headers.get('Content-Type')`` finds ``content-type``, and setting
    ``Content-Type`` replaces it rather than adding a second one); listed with the case each
    name was last set with. Its repr hides key material."""

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in (headers or {}).items():
            self[name] = value

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __setitem__(self, name: str, value: str) -> None:
        self._items[name.lower()] = (name, value)

    def __delitem__(self, name: str) -> None:
        del self._items[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def copy(self) -> RequestHeaders:
        return RequestHeaders(self)

    def __repr__(self) -> str:
        shown = {n: "<redacted>" if k in _SECRET_HEADERS else v for k, (n, v) in self._items.items()}
        return repr(shown)


def _http_response(parsed: dict[str, Any]) -> HTTPResponse:
    meta = parsed.get("ResponseMetadata", {})
    return HTTPResponse(meta.get("HTTPStatusCode", 0), dict(meta.get("HTTPHeaders", {})))


class ClientSurface:
    """``meta``, ``can_paginate``/``get_paginator``, ``get_waiter``/``waiter_names``,
    ``close()`` and ``with client:`` for an S3 client."""

    endpoint_url: str  # provided by the native client

    def __init__(self, **options: Any) -> None:
        # The native client's __new__ consumed these; keep them for meta.config. The client
        # passes them without credentials: no secret is kept in the object's state.
        self._surface_options = options
        self._surface_meta: ClientMeta | None = None

    @property
    def meta(self) -> ClientMeta:
        """botocore's ``client.meta``: region_name, endpoint_url, config, partition,
        service_model, method_to_api_mapping."""
        if self._surface_meta is None:
            from s3seal._ops import OPERATION_NAMES
            from s3seal.meta import ClientMeta, client_partition

            config = config_from_options(self._surface_options)
            self._surface_meta = ClientMeta(
                client_config=config,
                endpoint_url=self.endpoint_url,
                method_to_api_mapping=dict(OPERATION_NAMES),
                partition=client_partition(config.region_name),
            )
            self._surface_meta.events = EventHooks(self._events_changed)
        return self._surface_meta

    def _events_changed(self, events: EventHooks) -> None:
        """Route calls through the event machinery only while handlers are registered:
        with none, a call goes straight to the native dispatch."""
        if events.listening():
            self._make_api_call = self._evented_call  # type: ignore[method-assign]
        else:
            self.__dict__.pop("_make_api_call", None)
        native: Any = self
        if events.listening(REQUEST_EVENTS):
            # A weak reference: the native client must not keep its own Python object alive.
            me = weakref.ref(self)

            def hook(*args: Any) -> dict[str, str]:
                client = me()
                return client._request_event(*args) if client is not None else args[4]

            native._set_request_hook(hook)
        else:
            native._set_request_hook(None)

    def _evented_call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """botocore's ``_make_api_call`` event sequence around the native dispatch."""
        params, model, context = self._emit_before_call(operation, kwargs)
        native: Any = self
        try:
            parsed: dict[str, Any] = logs.call(type(native)._call, self, operation, params)
        except Exception as e:
            self._emit_call_failed(operation, e, model, context)
            raise
        self._emit_after_call(operation, parsed, model, context)
        return parsed

    # The steps of ``_evented_call``, shared with the async client's dispatch.

    def _emit_before_call(
        self, operation: str, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], Any, dict[str, Any]]:
        """provide-client-params and before-parameter-build: the parameters to send, the
        operation model and the call's context."""
        events = self.meta.events
        model = self.meta.service_model.operation_model(operation)
        context: dict[str, Any] = {}
        _, replaced = events.emit_until_response(
            f"provide-client-params.s3.{operation}", params=kwargs, model=model, context=context
        )
        params = kwargs if replaced is None else replaced
        events.emit(f"before-parameter-build.s3.{operation}", params=params, model=model, context=context)
        return params, model, context

    def _emit_call_failed(
        self, operation: str, error: Exception, model: Any, context: dict[str, Any]
    ) -> None:
        """after-call with the error response for a ClientError, after-call-error otherwise."""
        from s3seal.exceptions import ClientError

        if isinstance(error, ClientError):
            self._emit_after_call(operation, error.response, model, context)  # type: ignore[attr-defined]
        else:
            self.meta.events.emit(f"after-call-error.s3.{operation}", exception=error, context=context)

    def _emit_after_call(
        self, operation: str, parsed: dict[str, Any], model: Any, context: dict[str, Any]
    ) -> None:
        self.meta.events.emit(
            f"after-call.s3.{operation}",
            http_response=_http_response(parsed),
            parsed=parsed,
            model=model,
            context=context,
        )

    def _request_event(
        self, event: str, operation: str, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        """The native request path's callback: fire ``event`` and hand back the headers."""
        events = self.meta.events
        name = f"{event}.s3.{operation}"
        # Case-insensitive, as botocore's (request_dict and AWSRequest take it as their dict).
        mapping: Any = RequestHeaders(headers)
        if event == "before-call":
            request = request_dict(method, url, mapping, body)
            model = self.meta.service_model.operation_model(operation)
            events.emit(name, model=model, params=request, request_signer=None, context=request["context"])
            return dict(request["headers"])
        aws_request = AWSRequest(method, url, mapping, body)
        if event == "before-sign":
            events.emit(
                name,
                request=aws_request,
                operation_name=operation,
                signing_name="s3",
                region_name=self.meta.region_name,
                signature_version=self.meta.config.signature_version,
                request_signer=None,
            )
        else:
            _, response = events.emit_until_response(name, request=aws_request)
            if response is not None:
                raise NotImplementedError(
                    "s3seal does not take a response from a before-send handler: the request was not sent"
                )
        return dict(aws_request.headers)

    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator(operation_name)`` has a paginator (KeyError for a method
        name the client does not have, as botocore)."""
        from s3seal._data import PAGINATORS
        from s3seal._ops import OPERATION_NAMES

        return OPERATION_NAMES[operation_name] in PAGINATORS

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for a list operation, by method name (``'list_objects_v2'``).

        Raises:
            OperationNotPageableError: the operation has no paginator.
        """
        from s3seal._data import PAGINATORS
        from s3seal._ops import OPERATION_NAMES
        from s3seal.paginate import Paginator

        if not self.can_paginate(operation_name):
            raise OperationNotPageableError(operation_name=operation_name)
        api_name = OPERATION_NAMES[operation_name]
        # A class per operation, named as botocore names it.
        cls = type(f"S3.Paginator.{api_name}", (Paginator,), {"__module__": Paginator.__module__})
        operation_model = self.meta.service_model.operation_model(api_name)
        return cls(getattr(self, operation_name), PAGINATORS[api_name], operation_model)

    @property
    def waiter_names(self) -> list[str]:
        """The waiters' method-style names (``'bucket_exists'``, ...)."""
        from s3seal._data import WAITER_NAMES

        return sorted(WAITER_NAMES)

    def get_waiter(self, waiter_name: str) -> Waiter:
        """A waiter by name (``'object_exists'``): ``wait(**kwargs, WaiterConfig={...})``.

        Raises:
            ValueError: no such waiter.
        """
        from s3seal._data import WAITER_NAMES, WAITERS
        from s3seal.waiter import WaiterModel, create_waiter

        if waiter_name not in WAITER_NAMES:
            raise ValueError(f"Waiter does not exist: {waiter_name}")
        return create_waiter(WAITER_NAMES[waiter_name], WaiterModel(WAITERS), self)

    def generate_presigned_url(
        self,
        ClientMethod: str,
        Params: dict[str, Any] | None = None,
        ExpiresIn: int = 3600,
        HttpMethod: str | None = None,
    ) -> str:
        """botocore's presigned URL (SigV4 query auth) for any operation; SSE-C parameters
        become signed headers the URL's user must send, never query parameters."""
        from s3seal.presign import generate_presigned_url

        return generate_presigned_url(self, ClientMethod, Params, ExpiresIn, HttpMethod)

    def generate_presigned_post(
        self,
        Bucket: str,
        Key: str,
        Fields: dict[str, Any] | None = None,
        Conditions: list[Any] | None = None,
        ExpiresIn: int = 3600,
    ) -> dict[str, Any]:
        """botocore's presigned POST: ``{'url': ..., 'fields': {...}}`` for a form upload."""
        from s3seal.presign import generate_presigned_post

        return generate_presigned_post(self, Bucket, Key, Fields, Conditions, ExpiresIn)

    def close(self) -> None:
        """botocore's ``close()`` closes idle pooled connections and the client stays usable.
        s3seal's pool lives in the native client and is freed with it: nothing to do."""

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
