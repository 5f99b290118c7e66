"""``s3seal.Config``: botocore's ``Config`` options that s3seal honours."""

from __future__ import annotations

import math
import os
import platform
import string
from dataclasses import dataclass, field, fields, replace
from typing import Any

try:  # pragma: no cover - depends on the environment
    # botocore's own sentinel when botocore is there: ``Config(signature_version=
    # botocore.UNSIGNED)`` and ``s3seal.UNSIGNED`` are then the same object.
    from botocore import UNSIGNED
except ImportError:  # pragma: no cover

    class _Unsigned:
        """botocore's ``UNSIGNED``: anonymous requests. One instance, kept by copies."""

        def __copy__(self) -> _Unsigned:
            return self

        def __deepcopy__(self, memodict: Any) -> _Unsigned:
            return self

        def __reduce__(self) -> str:
            return "UNSIGNED"

    UNSIGNED = _Unsigned()  # type: ignore[assignment]


def is_unsigned(config: Any) -> bool:
    """Whether a Config (s3seal's or botocore's) asks for anonymous requests."""
    return getattr(config, "signature_version", None) is UNSIGNED


# botocore's defaults: legacy retries (5 attempts), 60 s timeouts, 10 pooled connections.
DEFAULT_ATTEMPTS = {"legacy": 5, "standard": 3, "adaptive": 3}


@dataclass(frozen=True)
class Config:
    """Client configuration, with botocore's names and defaults.

    A ``botocore.config.Config`` is accepted wherever this is.

    Args:
        region_name: The region to use.
        connect_timeout: Seconds to wait for a connection (botocore default 60).
        read_timeout: Seconds to wait for data (botocore default 60).
        max_pool_connections: Connections kept per host (botocore default 10).
        retries: ``{'mode': 'legacy'|'standard'|'adaptive', 'max_attempts': N}`` or
            ``{'total_max_attempts': N}``.
        s3: ``{'addressing_style': 'auto'|'path'|'virtual'}``; s3seal also reads
            ``'allow_sse_c_over_http': True`` (see the README) and
            ``'payload_signing_enabled'`` (default: transfer bodies are unsigned over https
            and to this machine, signed over plain http elsewhere).
        request_checksum_calculation: ``'when_supported'`` or ``'when_required'``.
        user_agent, user_agent_extra, user_agent_appid: the ``User-Agent`` header, as
            botocore builds it (see ``user_agent()``).
        response_checksum_validation: ``'when_supported'`` or ``'when_required'``.
        ignore_configured_endpoint_urls: ignore every endpoint URL but the ``endpoint_url``
            argument (environment, profile, services section), as botocore does.
        signature_version: ``UNSIGNED`` (``botocore.UNSIGNED`` or ``s3seal.UNSIGNED``, the
            same object when botocore is installed) sends anonymous requests, as botocore
            does: no credentials are looked for, nothing is signed, and presigned URLs and
            POSTs carry no signature. Any other value is accepted as botocore accepts it
            (``Config(signature_version='s3v4')`` is in much boto3 code) and s3seal signs
            with SigV4.
    """

    region_name: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_pool_connections: int | None = None
    retries: dict[str, Any] | None = None
    s3: dict[str, Any] | None = None
    request_checksum_calculation: str | None = None
    response_checksum_validation: str | None = None
    user_agent: str | None = field(default=None, repr=False)
    user_agent_extra: str | None = field(default=None, repr=False)
    user_agent_appid: str | None = field(default=None, repr=False)
    ignore_configured_endpoint_urls: bool | None = None
    signature_version: Any = None

    def merge(self, other: Any) -> Config:
        """A copy with the options ``other`` sets taking precedence (botocore's merge)."""
        theirs = {f.name: getattr(other, f.name, None) for f in fields(self)}
        return replace(self, **{k: v for k, v in theirs.items() if v is not None})


# CPython's _PyTime_t (nanoseconds in an int64): the largest timeout a socket accepts.
_MAX_TIMEOUT = (2**63 - 1) / 1e9


def _timeout(config: Any, which: str) -> float:
    """A timeout in seconds, refused where botocore's HTTP stack refuses it (urllib3's
    ValueError for <= 0, the socket's error as HTTPClientError for nan and huge values)."""
    value = getattr(config, f"{which}_timeout", None)
    if value is None:
        return 60.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"Timeout value {which} was {value}, but it must be an int, float or None.")
    if math.isnan(value):
        from s3seal.exceptions import HTTPClientError

        raise HTTPClientError(error="Invalid value NaN (not a number)")
    if value <= 0:
        raise ValueError(
            f"Attempted to set {which} timeout to {value}, but the timeout cannot be set "
            "to a value less than or equal to 0."
        )
    if value > _MAX_TIMEOUT:
        from s3seal.exceptions import HTTPClientError

        raise HTTPClientError(error="timestamp too large to convert to C _PyTime_t")
    return float(value)


def client_options(config: Any) -> dict[str, Any]:
    """The native client's keyword arguments for a Config (s3seal's or botocore's)."""
    retries = dict(getattr(config, "retries", None) or {})
    mode = retries.get("mode") or os.environ.get("AWS_RETRY_MODE") or "legacy"
    if mode not in DEFAULT_ATTEMPTS:
        raise ValueError(f"Invalid retry mode {mode!r}: must be one of legacy, standard, adaptive")
    if "total_max_attempts" in retries:
        attempts = int(retries["total_max_attempts"])
    elif "max_attempts" in retries:
        attempts = int(retries["max_attempts"]) + 1  # botocore: retries after the first try
    elif os.environ.get("AWS_MAX_ATTEMPTS"):
        attempts = int(os.environ["AWS_MAX_ATTEMPTS"])
    else:
        attempts = DEFAULT_ATTEMPTS[mode]
    s3 = dict(getattr(config, "s3", None) or {})
    allow_http = bool(s3.get("allow_sse_c_over_http")) or os.environ.get(
        "S3SEAL_ALLOW_SSE_C_OVER_HTTP", ""
    ).lower() in ("1", "true", "yes")
    options: dict[str, Any] = {
        "max_attempts": max(1, attempts),
        "retry_mode": mode,
        "connect_timeout": _timeout(config, "connect"),
        "read_timeout": _timeout(config, "read"),
        "max_pool_connections": int(getattr(config, "max_pool_connections", None) or 10),
        "addressing_style": s3.get("addressing_style"),
        "allow_sse_c_over_http": allow_http,
        "payload_signing_enabled": s3.get("payload_signing_enabled"),
        "request_checksum_calculation": getattr(config, "request_checksum_calculation", None),
        "response_checksum_validation": getattr(config, "response_checksum_validation", None),
    }
    if is_unsigned(config):
        options["unsigned"] = True
    options["user_agent"] = user_agent(config)
    return options


_UA_ALLOWED = frozenset(string.ascii_letters + string.digits + "!$%&'*+-.^_`|~,#")


def _ua_part(text: str) -> str:
    """botocore's sanitize_user_agent_string_component (with ``#`` allowed)."""
    return "".join(c if c in _UA_ALLOWED else "-" for c in text)


def user_agent(config: Any) -> str:
    """The ``User-Agent`` header, built as botocore builds its own: ``user_agent`` given
    replaces the whole string and ``user_agent_extra`` follows it; otherwise s3seal names
    itself, the platform and the interpreter, then ``app/<user_agent_appid>`` (or the
    ``AWS_SDK_UA_APP_ID`` environment variable) and ``user_agent_extra``, last."""
    extra = getattr(config, "user_agent_extra", None)
    override = getattr(config, "user_agent", None)
    if override is not None:
        return " ".join([override, *([extra] if extra else [])])
    from s3seal import __version__

    parts = [
        f"s3seal/{_ua_part(__version__)}",
        "ua/2.1",
        f"os/{_ua_part(platform.system().lower() or 'other')}#{_ua_part(platform.release())}",
        f"md/arch#{_ua_part(platform.machine().lower())}",
        f"lang/python#{_ua_part(platform.python_version())}",
        f"md/pyimpl#{_ua_part(platform.python_implementation())}",
    ]
    appid = getattr(config, "user_agent_appid", None) or os.environ.get("AWS_SDK_UA_APP_ID")
    if appid:
        parts.append(f"app/{_ua_part(appid)}")
    if extra:
        parts.append(extra)
    return " ".join(parts)
