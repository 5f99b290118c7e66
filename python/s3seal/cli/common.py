"""What every ``s3seal`` command shares: the global options, the client they configure,
``file://``/``fileb://`` values, the argument parser's error convention and exit codes.

Exit codes are AWS CLI v2's (``awscli/constants.py`` and ``awscli/errorhandler.py`` of v2): the
s3 commands' own 0 / 1 / 2, then one code per kind of failure, where v1 returned 2 (argparse)
or 255 (everything else). The parity tests run v1 (the ``awscli`` on PyPI) and compare through
the v1 -> v2 table of ``tests/cli_helpers.py``.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import sys
from typing import Any, NoReturn

import s3seal

LOG = logging.getLogger("s3seal.cli")

# AWS CLI v2 exit codes.
RC_OK = 0
RC_TRANSFER_FAILED = 1  # s3 commands: at least one transfer (or bucket call) failed
RC_WARNINGS = 2  # s3 commands: files skipped with a warning, the others transferred
RC_USAGE = 252  # argparse errors, unknown options, parameter validation (v1: 2 or 255)
RC_CONFIG = 253  # no credentials, no region (v1: 255)
RC_SERVICE = 254  # the service returned an error: ClientError (v1: 255)
RC_INTERRUPTED = 130  # 128 + SIGINT
RC_ERROR = 255  # anything else: connection errors, an unknown profile, a missing local path

USAGE = (
    "usage: s3seal [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n\n"
    "  s3seal help\n"
    "  s3seal <command> help\n"
    "  s3seal <command> <subcommand> help\n"
)


class UsageError(Exception):
    """A command line the AWS CLI rejects before any request: v2's ``ParamValidationError`` /
    ``ParamError`` / ``UnknownArgumentError`` (exit 252), or with ``rc=RC_ERROR`` the checks
    v2 still raises as a ``RuntimeError`` (exit 255)."""

    def __init__(self, message: str, show_usage: bool = False, rc: int = RC_USAGE) -> None:
        super().__init__(message)
        self.show_usage = show_usage
        self.rc = rc


class ArgParser(argparse.ArgumentParser):
    """argparse with the AWS CLI's error form: usage, ``prog: error: message``; exit 252 (v2's
    ``ArgParseException``; v1 exited 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("add_help", False)
        kwargs.setdefault("allow_abbrev", False)  # --region must never match --region-foo
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # The AWS CLI's "Invalid choice" message: choices in 40-column cells, two a line.
        choices = action.choices
        if choices is None or value in choices:
            return
        names = list(choices)
        lines = ["Invalid choice, valid choices are:\n"]
        for i in range(0, len(names), 2):
            lines.append(" | ".join(f"{c:<40}" for c in names[i : i + 2]))
        close = difflib.get_close_matches(value, names, cutoff=0.8)
        if close:
            lines.extend([f"\n\nInvalid choice: {value!r}, maybe you meant:\n"] + [f"  * {w}" for w in close])
        raise argparse.ArgumentError(action, "\n".join(lines))

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(USAGE)
        self.exit(RC_USAGE, f"{self.prog}: error: {message}\n")


class CommandParser(argparse.ArgumentParser):
    """A plain argparse parser (its own ``--help``) for s3seal's own commands (``keygen``,
    ``rotate``) whose usage errors exit 252, as every other command line error does."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(RC_USAGE, f"{self.prog}: error: {message}\n")


def global_parser() -> ArgParser:
    """The AWS CLI's global options; they may appear before or after the command."""
    p = ArgParser(prog="s3seal")
    p.add_argument("--debug", action="store_true")
    p.add_argument("--endpoint-url")
    p.add_argument("--no-verify-ssl", action="store_false", dest="verify_ssl")
    p.add_argument("--no-paginate", action="store_false", dest="paginate")
    p.add_argument("--output", choices=["json", "text", "table"])
    p.add_argument("--query")
    p.add_argument("--profile")
    p.add_argument("--region")
    p.add_argument("--version", action="store_true")
    p.add_argument("--color", choices=["on", "off", "auto"])
    p.add_argument("--no-sign-request", action="store_true")
    p.add_argument("--ca-bundle")
    p.add_argument("--cli-read-timeout", type=int)
    p.add_argument("--cli-connect-timeout", type=int)
    return p


def version_string() -> str:
    import platform

    return (
        f"s3seal-cli/{s3seal.__version__} Python/{platform.python_version()} "
        f"{platform.system()}/{platform.release()}"
    )


def _timeout(value: int | None) -> float | None:
    # The AWS CLI's 0 means "no timeout" (blocking); the client needs a number: a day.
    if value is None:
        return None
    return float(value) if value > 0 else 86400.0


def make_client(args: argparse.Namespace) -> Any:
    """The S3 client the global options describe (endpoint, profile, region, TLS, timeouts)."""
    config: dict[str, Any] = {}
    for name, value in (
        ("connect_timeout", _timeout(args.cli_connect_timeout)),
        ("read_timeout", _timeout(args.cli_read_timeout)),
    ):
        if value is not None:
            config[name] = value
    verify: bool | str | None = None
    if not args.verify_ssl:
        verify = False
    elif args.ca_bundle:
        verify = args.ca_bundle
    if args.no_sign_request:  # the AWS CLI's anonymous requests: no credentials looked for
        config["signature_version"] = s3seal.UNSIGNED
    session = s3seal.Session(profile_name=args.profile, region_name=args.region)
    LOG.debug(
        "client: endpoint_url=%s profile=%s region=%s verify=%s",
        args.endpoint_url,
        args.profile,
        args.region,
        verify,
    )
    return session.client("s3", endpoint_url=args.endpoint_url, verify=verify, config=s3seal.Config(**config))


def load_value(value: str) -> str | bytes:
    """A parameter value, or the contents of the file it names: ``file://`` as text,
    ``fileb://`` as bytes (the AWS CLI's paramfile rules; ``~`` and ``$VARS`` expanded)."""
    for prefix, mode in (("fileb://", "rb"), ("file://", "r")):
        if value.startswith(prefix):
            path = os.path.expandvars(os.path.expanduser(value[len(prefix) :]))
            try:
                with open(path, mode) as f:
                    data: str | bytes = f.read()
                    return data
            except UnicodeDecodeError:
                raise UsageError(
                    f"Unable to load paramfile ({path}), text contents could not be decoded.  "
                    "If this is a binary file, please use the fileb:// prefix instead of the "
                    "file:// prefix."
                ) from None
            except OSError as e:
                raise UsageError(f"Unable to load paramfile {value}: {e}") from None
    return value


class RedactingFilter(logging.Filter):
    """Keeps key material out of --debug output whatever a log call was given: every value
    registered as sensitive is replaced in the formatted message."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, value: str | bytes) -> None:
        import base64

        raw = value.encode() if isinstance(value, str) else bytes(value)
        if len(raw) >= 8:  # a short value would redact ordinary words
            self.secrets.update({raw.decode("latin-1"), base64.b64encode(raw).decode()})

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "***")
        record.msg, record.args = message, None
        return True


REDACTOR = RedactingFilter()


def setup_debug(enabled: bool) -> None:
    if not enabled:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
    handler.addFilter(REDACTOR)
    LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG)


# The request parameters whose shapes the model marks sensitive, for the s3 commands.
SENSITIVE_PARAMS = {"SSECustomerKey", "CopySourceSSECustomerKey", "SSEKMSKeyId", "SSEKMSEncryptionContext"}


def redact_params(params: dict[str, Any], sensitive: set[str] = SENSITIVE_PARAMS) -> dict[str, Any]:
    """The parameters as --debug shows them: sensitive members (the model's ``sensitive``
    trait: SSE-C keys, KMS key ids, encryption contexts) and bodies replaced."""
    shown = {}
    for name, value in params.items():
        if name in sensitive:
            shown[name] = "***"
        elif name == "Body":
            shown[name] = f"<{type(value).__name__}>"
        else:
            shown[name] = value
    return shown
