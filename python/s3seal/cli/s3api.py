"""``s3seal s3api <operation>``: every operation of the model, its arguments generated from
``client.meta.service_model`` with the AWS CLI's names (botocore's ``xform_name``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from typing import Any

from s3seal.cli import output
from s3seal.cli.common import LOG, REDACTOR, ArgParser, UsageError, load_value, make_client, redact_params
from s3seal.cli.shorthand import coerce, parse_complex

# botocore.utils.xform_name, with the AWS CLI's separator.
_FIRST_CAP = re.compile("(.)([A-Z][a-z]+)")
_END_CAP = re.compile("([a-z0-9])([A-Z])")
_SPECIAL_CASE = re.compile("[A-Z]{2,}s$")
_PARTIAL_RENAMES = {
    "ipv-6": "ipv6",
    "ipv_6": "ipv6",
    "s_3_resources": "s3_resources",
    "s-3-resources": "s3-resources",
}


def xform_name(name: str, sep: str = "-") -> str:
    """``ListObjectsV2`` -> ``list-objects-v2``, ``SSECustomerKey`` -> ``sse-customer-key``."""
    if sep in name:
        return name
    special = _SPECIAL_CASE.search(name)
    if special is not None:  # "ACLs" -> "_acls", as botocore
        name = f"{name[: -len(special.group())]}{sep}{special.group().lower()}"
    transformed = _END_CAP.sub(rf"\1{sep}\2", _FIRST_CAP.sub(rf"\1{sep}\2", name)).lower()
    for old, new in _PARTIAL_RENAMES.items():
        transformed = transformed.replace(old, new)
    return transformed


def service_model() -> Any:
    from s3seal.meta import service_model as model

    return model()


def command_table() -> dict[str, str]:
    """CLI operation name -> model operation name, for every operation of the model."""
    return {xform_name(op): op for op in service_model().operation_names}


def _streaming_member(shape: Any) -> str | None:
    """The member holding a streaming payload (PutObject's Body, GetObject's Body)."""
    if shape is None:
        return None
    for name, member in shape.members.items():
        if member.serialization.get("streaming") or (shape.payload == name and member.type_name == "blob"):
            return str(name)
    return None


class Operation:
    """One operation's argument table and its call."""

    def __init__(self, op_name: str) -> None:
        self.model = service_model().operation_model(op_name)
        self.cli_name = xform_name(op_name)
        self.input = self.model.input_shape
        self.members: dict[str, Any] = dict(self.input.members) if self.input else {}
        self.required = set(self.input.required_members) if self.input else set()
        self.body_in = _streaming_member(self.input)
        self.body_out = _streaming_member(self.model.output_shape)
        self.paginator = _paginator_config(op_name)

    def parser(self) -> ArgParser:
        p = ArgParser(prog="s3seal")  # the AWS CLI names itself in every usage error
        if self.body_out:
            p.add_argument("outfile")
        for name, shape in self.members.items():
            self._add_member(p, name, shape)
        p.add_argument("--cli-input-json")
        if self.paginator:
            p.add_argument("--starting-token")
            p.add_argument("--page-size", type=int)
            p.add_argument("--max-items", type=int)
        return p

    def _add_member(self, p: ArgParser, name: str, shape: Any) -> None:
        flag = "--" + xform_name(name)
        if shape.type_name == "boolean":
            p.add_argument(flag, dest=name, action="store_const", const=True)
            p.add_argument("--no-" + xform_name(name), dest=name, action="store_const", const=False)
        elif shape.type_name in ("list", "map", "structure"):
            p.add_argument(flag, dest=name, nargs="+" if shape.type_name == "list" else None)
        else:
            p.add_argument(flag, dest=name)

    def params(self, ns: argparse.Namespace) -> dict[str, Any]:
        """The operation's parameters: --cli-input-json first, command-line arguments over it."""
        params: dict[str, Any] = {}
        if ns.cli_input_json:
            loaded = load_value(ns.cli_input_json)
            params.update(json.loads(loaded))
        for name, shape in self.members.items():
            value = getattr(ns, name)
            if value is not None:
                params[name] = self._convert(name, shape, value)
        for name in params:
            if self.members.get(name) is not None and self.members[name].metadata.get("sensitive"):
                REDACTOR.add(params[name])
        return params

    def missing(self, params: dict[str, Any]) -> list[str]:
        """The required arguments neither the command line nor --cli-input-json gave."""
        return ["--" + xform_name(m) for m in self.members if m in self.required and m not in params]

    def _convert(self, name: str, shape: Any, value: Any) -> Any:
        kind = shape.type_name
        if name == self.body_in:
            # As the AWS CLI: a streaming body argument names a file to upload.
            path = os.path.expandvars(os.path.expanduser(value))
            if not os.path.isfile(path):
                raise UsageError(
                    f"Error parsing parameter '--{xform_name(name)}': Blob values must be a path to a file."
                )
            return open(path, "rb")
        if kind in ("list", "map", "structure"):
            words = value if isinstance(value, list) else [value]
            texts = [str(load_value(w)) for w in words]
            return coerce(parse_complex(texts, shape), shape)
        if kind == "boolean":
            return value
        loaded = load_value(value)
        if kind == "timestamp" and isinstance(loaded, str):
            return _timestamp(loaded)
        if kind == "blob" or isinstance(loaded, bytes):
            return loaded
        return coerce(loaded, shape)

    def user_paginates(self, params: dict[str, Any]) -> bool:
        """The AWS CLI turns pagination off when the caller sets a paging parameter itself."""
        if not self.paginator:
            return True
        cfg = self.paginator
        names = _as_list(cfg.get("input_token")) + _as_list(cfg.get("limit_key"))
        return not any(n in params for n in names if n)


def _paginator_config(op_name: str) -> dict[str, Any] | None:
    from s3seal._data import PAGINATORS

    found: dict[str, Any] | None = PAGINATORS.get(op_name)
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _timestamp(value: str) -> Any:
    """ISO 8601 or epoch seconds, as botocore accepts a timestamp."""
    try:
        return datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)
    except ValueError:
        pass
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def method_name(op_name: str) -> str:
    from s3seal._ops import OPERATION_NAMES

    return {v: k for k, v in OPERATION_NAMES.items()}[op_name]


def print_help(stream: Any) -> None:
    from s3seal.cli.help import s3api_help

    stream.write(s3api_help(command_table()))


def print_operation_help(op: Operation, stream: Any) -> None:
    from s3seal.cli.help import operation_help

    stream.write(operation_help(op))


def run(gargs: argparse.Namespace, argv: list[str]) -> int:
    """Run one ``s3api`` operation; its output is printed as --output/--query ask."""
    table = command_table()
    if not argv:
        ArgParser(prog="s3seal").error("the following arguments are required: operation")
    if argv[0] == "help":
        print_help(sys.stdout)
        return 0
    if argv[0] not in table:
        ArgParser(prog="s3seal").error(
            f"argument operation: Invalid choice, valid choices are:\n\n{chr(10).join(sorted(table))}"
        )
    op = Operation(table[argv[0]])
    if argv[1:2] == ["help"]:
        print_operation_help(op, sys.stdout)
        return 0
    parser = op.parser()
    ns, unknown = parser.parse_known_args(argv[1:])
    if unknown:
        raise UsageError("Unknown options: " + ", ".join(unknown), show_usage=True)
    params = op.params(ns)
    missing = op.missing(params)
    if missing:
        parser.error("the following arguments are required: " + ", ".join(missing))
    client = make_client(gargs)
    LOG.debug("calling %s with %s", op.model.name, redact_params(params, _sensitive(op)))
    try:
        response = _call(client, op, params, ns, gargs)
    finally:
        body = params.get(op.body_in) if op.body_in else None
        if body is not None and hasattr(body, "close"):
            body.close()
    fmt = gargs.output or "json"
    shape = op.model.output_shape
    if fmt == "text" and not isinstance(response, dict):  # pages: printed one by one
        output.write_pages(response, gargs.query, sys.stdout, shape)
        return 0
    if not isinstance(response, dict):
        response = response.build_full_result()
    response = output.wire_timestamps(response, shape)
    output.write(output.prepare(response, gargs.query), fmt, sys.stdout, op.model.name)
    return 0


def _sensitive(op: Operation) -> set[str]:
    return {n for n, s in op.members.items() if s.metadata.get("sensitive")}


def _call(client: Any, op: Operation, params: dict[str, Any], ns: argparse.Namespace, gargs: Any) -> Any:
    method = method_name(op.model.name)
    if op.paginator and gargs.paginate and op.user_paginates(params):
        paging = {
            k: v
            for k, v in (
                ("StartingToken", ns.starting_token),
                ("PageSize", ns.page_size),
                ("MaxItems", ns.max_items),
            )
            if v is not None
        }
        return client.get_paginator(method).paginate(**params, PaginationConfig=paging)
    response = getattr(client, method)(**params)
    if op.body_out and op.body_out in response:
        _save_body(response.pop(op.body_out), ns.outfile)
    return response


def _save_body(body: Any, outfile: str) -> None:
    with body, open(outfile, "wb") as f:
        for chunk in iter(lambda: body.read(1024 * 1024), b""):
            f.write(chunk)
