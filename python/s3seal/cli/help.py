"""``help`` texts: ``s3seal help``, ``s3seal s3api help`` and ``s3seal s3api <operation> help``,
written from the S3 model (operations, members, types, enums, required, sensitive) and its
documentation (``_docs.py``, botocore's HTML made plain text by ``tools/gen_cli_docs.py``).
The ``s3`` commands' help comes from their argparse parsers (``s3.py``)."""

from __future__ import annotations

import base64
import json
import shutil
import textwrap
import zlib
from functools import cache
from typing import Any

EXIT_CODES = """\
Exit codes (those of AWS CLI v2):
  0    success
  1    s3 commands: at least one transfer failed
  2    s3 commands: files skipped (unreadable, special files), the others transferred
  130  interrupted (Ctrl-C): running transfers stopped, multipart uploads aborted,
       partial downloads removed
  252  bad command line: unknown command or option, missing or invalid value
  253  configuration: no credentials found
  254  the service returned an error (AccessDenied, NoSuchKey, ...)
  255  any other error (connection refused, unknown profile, ...)
"""

GLOBAL_OPTIONS = [
    ("--debug", "log each step to stderr (keys and KMS ids redacted)"),
    ("--endpoint-url URL", "the S3 endpoint (MinIO, Garage, ...)"),
    ("--no-verify-ssl", "do not verify the server's TLS certificate"),
    ("--no-paginate", "one request only for a paginated s3api operation"),
    ("--output json|text|table", "how s3api prints its result (default json)"),
    ("--query JMESPATH", "print this part of an s3api result"),
    ("--profile NAME", "the profile of ~/.aws/config and ~/.aws/credentials"),
    ("--region REGION", "the region to sign for"),
    ("--version", "print the version"),
    ("--color on|off|auto", "accepted for compatibility; the output has no colour"),
    ("--no-sign-request", "send anonymous requests (no credentials, no signature)"),
    ("--ca-bundle PATH", "the CA certificates that verify the server"),
    ("--cli-read-timeout SECONDS", "socket read timeout (0: none; default 60)"),
    ("--cli-connect-timeout SECONDS", "socket connect timeout (0: none; default 60)"),
]


def _width() -> int:
    return max(min(shutil.get_terminal_size((80, 24)).columns, 100), 60)


@cache
def _docs() -> dict[str, Any]:
    from s3seal.cli._docs import BLOB

    loaded: dict[str, Any] = json.loads(zlib.decompress(base64.b85decode(BLOB)))
    return loaded


def operation_doc(op_name: str) -> str:
    return str(_docs().get(op_name, {}).get("doc", ""))


def member_doc(op_name: str, member: str) -> str:
    return str(_docs().get(op_name, {}).get("members", {}).get(member, ""))


def summary(op_name: str) -> str:
    """The first sentence of an operation's description (notices skipped)."""
    notices = ("End of support", "This change affects the following", "This operation is not supported")
    for line in operation_doc(op_name).splitlines():
        if line.endswith(":") or line.startswith(notices):
            continue
        if line.startswith("* "):
            continue
        sentence = line.split(". ")[0].rstrip(".")
        return sentence + "."
    return ""


def _fill(text: str, width: int, first: str, rest: str) -> str:
    # Never split a word at its hyphens (x-amz-server-side-encryption, in-progress) nor a URL.
    return textwrap.fill(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def wrap(text: str, indent: int) -> str:
    """Plain text (a paragraph or ``* item`` a line) wrapped at the terminal's width."""
    width = _width()
    pad = " " * indent
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("* "):
            out.append(_fill(line, width, pad, pad + "  "))
        else:
            if out and out[-1]:  # a paragraph after a list
                out.append("")
            out.append(_fill(line, width, pad, pad))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main_help() -> str:
    from s3seal.cli.common import USAGE

    lines = [
        USAGE,
        "s3seal: the AWS CLI's `s3` and `s3api` commands, with the same arguments and output,",
        "on s3seal's Rust engine; no key is ever printed.",
        "",
        "Commands:",
        "  s3      high-level transfers: cp, mv, rm, sync, ls, mb, rb, presign",
        "  s3api   every operation of the S3 model (put-object, get-object, ...)",
        "  keygen  generate an SSE-C key (.env lines, or --raw 32 bytes)",
        "  rotate  re-key every SSE-C object under s3://bucket/prefix onto a new key",
        "",
        "Global options (before or after the command):",
    ]
    lines += [f"  {flag:<30} {text}" for flag, text in GLOBAL_OPTIONS]
    lines += ["", EXIT_CODES]
    return "\n".join(lines)


def s3api_help(table: dict[str, str]) -> str:
    out = [
        "usage: s3seal s3api <operation> [parameters]",
        "",
        "Every operation of the S3 model, with the AWS CLI's argument names; its JSON result",
        "printed as the AWS CLI prints it. `s3seal s3api <operation> help` for its parameters.",
        "",
        "Operations:",
    ]
    for cli_name in sorted(table):
        out.append(f"  {cli_name}")
        first = summary(table[cli_name])
        if first:
            out.append(_fill(first, _width(), "      ", "      "))
    return "\n".join(out) + "\n"


def _type_label(shape: Any) -> str:
    kind = shape.type_name
    if kind == "list":
        return f"list of {shape.member.type_name}"
    if kind == "map":
        return "map"
    return str(kind)


def operation_help(op: Any) -> str:
    """NAME, DESCRIPTION, SYNOPSIS and OPTIONS of one operation, as ``aws <op> help`` lays
    them out (without the man-page formatting)."""
    from s3seal.cli.s3api import xform_name

    name = op.model.name
    out = ["NAME", f"       {op.cli_name} -", "", "DESCRIPTION"]
    out.append(wrap(operation_doc(name) or f"The S3 {name} operation.", 7))
    out += ["SYNOPSIS", f"         {op.cli_name}"]
    if op.body_out:
        out.append("       <outfile>")
    for member in op.members:
        flag = f"--{xform_name(member)} <value>"
        out.append(f"       {flag}" if member in op.required else f"       [{flag}]")
    out.append("       [--cli-input-json <value>]")
    if op.paginator:
        out += [
            "       [--starting-token <value>]",
            "       [--page-size <value>]",
            "       [--max-items <value>]",
        ]
    out += ["", "OPTIONS"]
    if op.body_out:
        out.append("       outfile (string)")
        out.append(wrap("Filename where the content will be saved.", 10))
    for member, shape in op.members.items():
        traits = [_type_label(shape)]
        if member in op.required:
            traits.append("required")
        if shape.metadata.get("sensitive"):
            traits.append("sensitive: never printed, --debug included")
        out.append(f"       --{xform_name(member)} ({', '.join(traits)})")
        text = member_doc(name, member)
        if member == op.body_in:
            text = "A path to the file whose bytes are sent.\n" + text
        if text:
            out.append(wrap(text, 10))
        enum = shape.metadata.get("enum")
        if enum:
            out.append("          Possible values:")
            out += [f"          * {value}" for value in enum]
            out.append("")
        if not text and not enum:
            out.append("")
    out.append("       --cli-input-json (string)")
    out.append(wrap("The parameters as JSON (or file://path): the command line's values override them.", 10))
    if op.paginator:
        for flag, text in (
            ("--starting-token", "The token of a previous, truncated result: where to resume."),
            ("--page-size", "Items per request (the paginator still fetches them all)."),
            ("--max-items", "Items printed in all; a NextToken follows when more remain."),
        ):
            out.append(f"       {flag} (string)")
            out.append(wrap(text, 10))
    out += ["GLOBAL OPTIONS", "       See `s3seal help`.", "", EXIT_CODES]
    return "\n".join(out)
