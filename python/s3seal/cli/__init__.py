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
    RC_ERROR,
    RC_INTERRUPTED,
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
    sys.stdout.write(
        USAGE + "\nCommands:\n  s3     high-level transfers: cp, mv, rm, ls, mb, rb, sync, presign\n"
        "  s3api  every S3 operation of the model\n"
        "  keygen generate an SSE-C key (.env lines, or --raw 32 bytes)\n"
        "  rotate re-key every object under s3://bucket/prefix onto a new SSE-C key\n"
    )
    return 0


def _dispatch(gargs: argparse.Namespace, rest: list[str]) -> int:
    if gargs.version:
        sys.stdout.write(version_string() + "\n")
        return 0
    if not rest or rest[0] == "help":
        return _help()
    command, args = rest[0], rest[1:]
    if command == "s3api":
        from s3seal.cli.s3api import run as run_s3api

        return run_s3api(gargs, args)
    if command == "s3":
        from s3seal.cli.s3 import run as run_s3

        return run_s3(gargs, args)
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


def main(argv: list[str] | None = None) -> int:
    """Run one ``s3seal`` command line; the exit code as the AWS CLI v1 returns it."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Started with SIGINT ignored (nohup, `&` in a script), Python keeps it ignored: the
    # command restores Ctrl-C, which it handles (exit 130, transfers cleaned up).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        gargs, rest = global_parser().parse_known_args(argv)
        setup_debug(gargs.debug)
        return _dispatch(gargs, rest)
    except SystemExit as e:  # argparse's usage errors (exit 2), as the AWS CLI v1
        return e.code if isinstance(e.code, int) else RC_ERROR
    except UsageError as e:
        if e.show_usage:
            sys.stderr.write(f"{USAGE}\n{e}\n")
        else:
            _write_error(str(e))
        return RC_ERROR
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        return RC_INTERRUPTED
    except Exception as e:  # the AWS CLI's catch-all: the message, exit 255
        from s3seal.cli.common import LOG

        LOG.debug("Exception caught in main()", exc_info=True)
        _write_error(str(e))
        return RC_ERROR
