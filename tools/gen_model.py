"""Generate s3seal's operation table from botocore's S3 service model.

One source, three outputs, so that an operation exists everywhere at once:

- ``src/model.rs``: every operation's input and output members with where each lives on
  the wire (URI, query, header, XML element, payload), the XML names and namespaces, the
  HTTP method and request URI, and the checksum and SSE-C rules botocore applies. The
  engine (``src/engine``) serialises requests and parses responses from these tables.
- ``python/s3seal/_ops.py``: the client's methods, one per operation, each a call through
  the one native dispatch (``_call``).
- ``python/s3seal/_ops.pyi``: their typed keyword arguments, for mypy and IDEs.
- ``python/s3seal/aio/_ops.pyi``: the same for the async client's coroutines (which
  ``s3seal/aio/_ops.py`` makes at import from ``OPERATION_NAMES``).

Run: python tools/gen_model.py   (needs botocore importable; writes the three files)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from botocore import xform_name
from botocore.loaders import Loader

ROOT = Path(__file__).resolve().parent.parent

# Operations s3seal does not offer yet, and why (they raise a clear error if called).
UNSUPPORTED = {
    "SelectObjectContent": "its response is an event stream",
    "WriteGetObjectResponse": "it is for S3 Object Lambda functions (a host-prefixed endpoint)",
}
# botocore/handlers.py registers sse_md5 / copy_source_sse_md5 on exactly these.
SSE_MD5 = {
    "HeadObject",
    "GetObject",
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "UploadPart",
    "UploadPartCopy",
    "CompleteMultipartUpload",
    "SelectObjectContent",
}
COPY_SOURCE_SSE_MD5 = {"CopyObject", "UploadPartCopy"}
LOCATIONS = {
    None: "Body",
    "uri": "Uri",
    "querystring": "Query",
    "header": "Header",
    "headers": "Headers",
    "statusCode": "Status",
}


def load_model() -> dict:
    """S3's model as botocore loads it: the data file with its `.sdk-extras.json` merged
    (which make `Expires` a timestamp, as botocore treats it)."""
    loader = Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False)
    return loader.load_service_model("s3", "service-2")


def rust_str(s: str | None) -> str:
    return json.dumps(s or "")


def ident(name: str) -> str:
    snake = "".join("_" + c if c.isupper() else c for c in name).lstrip("_").upper()
    return "S_" + snake.replace("__", "_")


class RustModel:
    """Emits the member tables of every shape reachable from the operations."""

    def __init__(self, shapes: dict) -> None:
        self.shapes = shapes
        self.emitted: dict[str, str] = {}

    def shape_expr(self, name: str) -> str:
        shape = self.shapes[name]
        kind = shape["type"]
        if kind in ("string", "character"):
            return "Shape::Str"
        if kind in ("integer", "long"):
            return "Shape::Int"
        if kind == "boolean":
            return "Shape::Bool"
        if kind == "timestamp":
            return f"Shape::Timestamp(TsFormat::{shape.get('timestampFormat', 'default').capitalize()})"
        if kind == "blob":
            return "Shape::Blob"
        if kind == "map":
            return "Shape::Map"
        if kind == "list":
            return f"Shape::List(&{self.shape_expr(shape['member']['shape'])})"
        if kind == "structure":
            return f"Shape::Struct({self.members_ident(name)})"
        raise ValueError(kind)

    def namespace(self, spec: dict, target: dict) -> str:
        ns = spec.get("xmlNamespace") or target.get("xmlNamespace")
        if not ns:
            return "None"
        return f"Some(({rust_str(ns.get('prefix'))}, {rust_str(ns['uri'])}))"

    def member_row(self, shape: dict, member: str, spec: dict) -> str:
        target = self.shapes[spec["shape"]]
        loc = LOCATIONS[spec.get("location")]
        if member == shape.get("payload"):
            loc = "Payload"
        # botocore resolves a member's serialised name from the member, then its shape.
        wire = spec.get("locationName") or target.get("locationName") or member
        is_list = target["type"] == "list"
        flattened = bool(spec.get("flattened") or (is_list and target.get("flattened")))
        item_name = target["member"].get("locationName", "") if is_list else ""
        min_len = target.get("min", 0) if target["type"] in ("string", "list") else 0
        return (
            f"    Member {{ name: {rust_str(member)}, shape: {self.shape_expr(spec['shape'])}, "
            f"loc: Loc::{loc}, wire: {rust_str(wire)}, "
            f"required: {str(member in set(shape.get('required', []))).lower()}, "
            f"sensitive: {str(bool(target.get('sensitive'))).lower()}, min_len: {min_len}, "
            f"flattened: {str(flattened).lower()}, item_name: {rust_str(item_name)}, "
            f"xml_attribute: {str(bool(spec.get('xmlAttribute'))).lower()}, "
            f"xml_ns: {self.namespace(spec, target)} }},"
        )

    def members_ident(self, name: str) -> str:
        key = ident(name)
        if key in self.emitted:
            return key
        self.emitted[key] = ""
        shape = self.shapes[name]
        rows = [self.member_row(shape, member, spec) for member, spec in shape["members"].items()]
        self.emitted[key] = f"static {key}: &[Member] = &[\n" + "\n".join(rows) + "\n];\n"
        return key

    def operation(self, op: dict) -> str:
        name = op["name"]
        inp = self.members_ident(op["input"]["shape"]) if "input" in op else "&[]"
        outp = self.members_ident(op["output"]["shape"]) if "output" in op else "&[]"
        checksum = op.get("httpChecksum", {})
        required = bool(checksum.get("requestChecksumRequired") or op.get("httpChecksumRequired"))
        output = self.shapes[op["output"]["shape"]] if "output" in op else {}
        payload = output.get("members", {}).get(output.get("payload", ""), {})
        return (
            f"pub static {ident(name)[2:]}: Operation = Operation {{ name: {rust_str(name)}, "
            f"input: {inp}, output: {outp}, method: {rust_str(op['http']['method'])}, "
            f"uri: {rust_str(op['http']['requestUri'])}, "
            f"checksum_required: {str(required).lower()}, "
            f"checksum_member: {rust_str(checksum.get('requestAlgorithmMember'))}, "
            f"validation_mode_member: {rust_str(checksum.get('requestValidationModeMember'))}, "
            f"streaming_output: {str(bool(payload.get('streaming'))).lower()}, "
            f"sse_md5: {str(name in SSE_MD5).lower()}, "
            f"copy_source_sse_md5: {str(name in COPY_SOURCE_SSE_MD5).lower()}, "
            f"unsupported: {rust_str(UNSUPPORTED.get(name))} }};"
        )


def rust_model(model: dict) -> str:
    gen = RustModel(model["shapes"])
    ops = [gen.operation(op) for op in model["operations"].values()]
    # Sorted by name: `Operation::named` finds an operation by binary search.
    names = [ident(op)[2:] for op in sorted(model["operations"])]
    out = [
        "// @generated by tools/gen_model.py from botocore's S3 service model. Do not edit.",
        "#![allow(clippy::all, clippy::pedantic, dead_code)]",
        "use crate::model_types::{Loc, Member, Operation, Shape, TsFormat};\n",
        *gen.emitted.values(),
        *ops,
        "\n/// Every operation, by name (the one dispatch table).",
        "pub static OPERATIONS: &[&Operation] = &[",
        *(f"    &{n}," for n in names),
        "];",
    ]
    return "\n".join(out) + "\n"


def python_type(shapes: dict, name: str) -> str:
    kind = shapes[name]["type"]
    return {
        "string": "str",
        "integer": "int",
        "long": "int",
        "boolean": "bool",
        "timestamp": "datetime | str | int | float",
        "blob": "bytes | bytearray | str | IO[Any]",
        "map": "Mapping[str, str]",
        "list": "Sequence[Any]",
        "structure": "Mapping[str, Any]",
    }[kind]


def python_ops(model: dict) -> tuple[str, str]:
    header = "# @generated by tools/gen_model.py from botocore's S3 service model. Do not edit.\n"
    runtime = [
        header,
        '"""The client\'s operations: one method each, all through the one native dispatch."""\n',
        "from __future__ import annotations\n",
        "from typing import Any\n",
        "from s3seal import _native\n",
        "# boto3's method name -> the model's operation name.",
        "OPERATION_NAMES: dict[str, str] = {",
        *(f"    {xform_name(op)!r}: {op!r}," for op in model["operations"]),
        "}\n\n",
        "class Operations:",
        '    """A method per S3 operation, generated from the model: ``client.get_object(**kw)``',
        "    is ``self._make_api_call('GetObject', kw)``. The methods are native (src/methods.rs):",
        '    as Python functions, their frames cost a small GET a tenth of its time under the GIL."""\n',
        "    _make_api_call: Any\n\n",
        "_native.add_operation_methods(Operations, OPERATION_NAMES)",
    ]
    shapes = model["shapes"]
    stub = [
        header,
        "from collections.abc import Mapping, Sequence",
        "from datetime import datetime",
        "from typing import IO, Any\n",
        "OPERATION_NAMES: dict[str, str]\n",
        "class Operations:",
        "    _make_api_call: Any",
    ]
    for op_name, op in model["operations"].items():
        members = shapes[op["input"]["shape"]]["members"] if "input" in op else {}
        required = set(shapes[op["input"]["shape"]].get("required", [])) if "input" in op else set()
        args = []
        for member, spec in members.items():
            default = "" if member in required else " = ..."
            args.append(f"{member}: {python_type(shapes, spec['shape'])}{default}")
        star = ", *, " + ", ".join(args) if args else ""
        stub.append(f"    def {xform_name(op_name)}(self{star}) -> dict[str, Any]: ...")
    return "\n".join(runtime) + "\n", "\n".join(stub) + "\n"


def async_stub(stub: str) -> str:
    """The async client's stub: the sync one's methods as coroutines."""
    stub = stub.replace("class Operations:", "class AsyncOperations:")
    return stub.replace("\n    def ", "\n    async def ")


def main() -> None:
    model = load_model()
    (ROOT / "src/model.rs").write_text(rust_model(model))
    runtime, stub = python_ops(model)
    python_files = [
        ROOT / "python/s3seal/_ops.py",
        ROOT / "python/s3seal/_ops.pyi",
        ROOT / "python/s3seal/aio/_ops.pyi",
    ]
    for path, text in zip(python_files, (runtime, stub, async_stub(stub)), strict=True):
        path.write_text(text)
    # The project's own formatter and import order, so that the lint sees no difference.
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "--fix", "-q", *map(str, python_files)], check=True)
    subprocess.run([*ruff, "format", "-q", *map(str, python_files)], check=True)


if __name__ == "__main__":
    main()
