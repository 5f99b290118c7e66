"""The ``s3seal`` command: ``s3seal s3 ...`` and ``s3seal s3api ...`` with the AWS CLI's
arguments, output and exit codes, over the s3seal client and its transfer engine.

Keys never reach the output: every sensitive value given on the command line is registered
with a redactor that filters --debug logging and error messages.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from s3seal.cli.common import (
    RC_CONFIG,
    RC_ERROR,
    RC_INTERRUPTED,
    RC_SERVICE,
    REDACTOR,
    USAGE,
    UsageError,
    global_parser,
    setup_debug,
    version_string,
)

__all__ = ["main"]


def _write_error(message: str) -> None:
    """The AWS CLI's ``write_exception``: a blank line, then the message; keys redacted."""
    for secret in REDACTOR.secrets:
        message = message.replace(secret, "***")
    sys.stderr.write(f"\n{message}\n")


def _help() -> int:
    from s3seal.cli.help import main_help

    sys.stdout.write(main_help())
    return 0


def _dispatch(gargs: argparse.Namespace, rest: list[str]) -> int:
    if gargs.version:
        sys.stdout.write(version_string() + "\n")
        return 0
    if not rest:
        global_parser().error("the following arguments are required: command")
    if rest[0] == "help":
        return _help()
    command, args = rest[0], rest[1:]
    if command == "s3api":
        from s3seal.cli.s3api import run as run_s3api

        return run_s3api(gargs, args)
    if command == "s3":
        from s3seal.cli.s3 import run as run_s3

        return run_s3(gargs, args)
    if args == ["help"] and command in ("keygen", "rotate"):
        args = ["--help"]  # their own parsers' help (exit 0)
    if command == "keygen":
        from s3seal.keys import main_keygen

        return main_keygen(args)
    if command == "rotate":
        from s3seal.rotate import main_rotate

        return main_rotate(_with_globals(gargs, args))
    global_parser().error(
        "argument command: Invalid choice, valid choices are:\n\ns3 | s3api | keygen | rotate\n"
    )


def _with_globals(gargs: argparse.Namespace, args: list[str]) -> list[str]:
    """The global options `rotate` understands, handed on to it."""
    extra: list[str] = []
    for flag, value in (
        ("--endpoint-url", gargs.endpoint_url),
        ("--profile", gargs.profile),
        ("--region", gargs.region),
    ):
        if value:
            extra += [flag, value]
    return args + extra


def _exit_code(error: Exception) -> int:
    """AWS CLI v2's error handler chain (``awscli/errorhandler.py``): configuration errors 253
    (printed with v1's hint), service errors 254, anything else 255."""
    from s3seal.exceptions import ClientError, NoCredentialsError, NoRegionError

    if isinstance(error, NoCredentialsError):
        _write_error(f'{error}. You can configure credentials by running "aws configure".')
        return RC_CONFIG
    if isinstance(error, NoRegionError):
        _write_error(f'{error} You can also configure your region by running "aws configure".')
        return RC_CONFIG
    from s3seal.cli.common import LOG

    LOG.debug("Exception caught in main()", exc_info=True)
    _write_error(str(error))
    return RC_SERVICE if isinstance(error, ClientError) else RC_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run one ``s3seal`` command line; the exit code as AWS CLI v2 returns it: 0, 1 (an s3
    transfer failed), 2 (files skipped), 130 (Ctrl-C), 252 (usage, parameter validation),
    253 (configuration), 254 (service error), 255 (anything else)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Started with SIGINT ignored (nohup, `&` in a script), Python keeps it ignored: the
    # command restores Ctrl-C, which it handles (exit 130, transfers cleaned up).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        gargs, rest = global_parser().parse_known_args(argv)
        setup_debug(gargs.debug)
        return _dispatch(gargs, rest)
    except SystemExit as e:  # argparse: usage errors exit 252 (ArgParser), help exits 0
        return e.code if isinstance(e.code, int) else RC_ERROR
    except UsageError as e:
        if e.show_usage:
            sys.stderr.write(f"{USAGE}\n{e}\n")
        else:
            _write_error(str(e))
        return e.rc
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        return RC_INTERRUPTED
    except Exception as e:  # the message, and the code of its kind
        return _exit_code(e)
