"""Printing a response as the AWS CLI v1 does: ``--output json|text|table`` after ``--query``.

The text layout is the AWS CLI's ``awscli/text.py`` (Apache-2.0), ported so that scripts that
``cut -f`` its columns keep working.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any, TextIO

import jmespath


def json_default(obj: Any) -> Any:
    """The AWS CLI's ``json_encoder``: ISO 8601 datetimes, base64 bytes."""
    if isinstance(obj, datetime.datetime):
        return obj.isoformat()
    if isinstance(obj, (bytes, bytearray)):
        return base64.b64encode(obj).decode("utf-8")
    raise TypeError("Encountered unrecognized type in JSON encoder.")


def prepare(response: Any, query: str | None) -> Any:
    """The response the formatters see: without ResponseMetadata, then filtered by --query."""
    if isinstance(response, dict):
        response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if query is not None:
        response = jmespath.search(query, response)
    return response


def write(response: Any, fmt: str, stream: TextIO, title: str = "") -> None:
    """Print a prepared response. An empty dict prints nothing (the AWS CLI's rule for
    operations without an output body); other empty values are printed."""
    if fmt == "text":
        if response is not None:
            _format_text(response, stream)
        return
    if fmt == "table":
        from s3seal.cli.table import format_table

        format_table(response, stream, title)
        return
    if response != {}:
        json.dump(response, stream, indent=4, default=json_default, ensure_ascii=False)
        stream.write("\n")


def wire_timestamps(value: Any, shape: Any, location: str | None = None) -> Any:
    """Datetimes back to the text S3 sent, as the AWS CLI v1 prints them (its default
    ``cli_timestamp_format = wire``): HTTP dates for headers, ISO 8601 with milliseconds and
    ``Z`` in XML bodies. The model says which member came from where."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.timezone.utc)
        if location == "header":
            return utc.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {
            k: wire_timestamps(
                v, members.get(k), members[k].serialization.get("location") if k in members else None
            )
            for k, v in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [wire_timestamps(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: wire_timestamps(v, shape.value) for k, v in value.items()}
    return value


def write_pages(pages: Any, query: str | None, stream: TextIO, shape: Any) -> None:
    """``--output text`` of a paginated operation, as the AWS CLI prints it: page by page,
    the first with the non-aggregate keys, every page with each result key (None if absent),
    then ``NEXTTOKEN`` if --max-items stopped early."""
    for i, page in enumerate(pages):
        current: dict[str, Any] = {} if i > 0 else dict(pages.non_aggregate_part)
        for key in pages.result_keys:
            current[key.expression] = key.search(page)
        current = wire_timestamps(current, shape)
        write(prepare(current, query), "text", stream)
    if pages.resume_token:
        write(prepare({"NextToken": {"NextToken": pages.resume_token}}, query), "text", stream)


# --- text (awscli/text.py) ---------------------------------------------------------------


def _format_text(item: Any, stream: TextIO, identifier: str | None = None, scalar_keys: Any = None) -> None:
    if isinstance(item, dict):
        _format_dict(scalar_keys, item, identifier, stream)
    elif isinstance(item, list):
        _format_list(item, identifier, stream)
    else:
        stream.write(_scalar(item) + "\n")


def _scalar(value: Any) -> str:
    if isinstance(value, (datetime.datetime, bytes, bytearray)):
        return str(json_default(value))
    return str(value)


def _format_list(item: list[Any], identifier: str | None, stream: TextIO) -> None:
    if not item:
        return
    if any(isinstance(el, dict) for el in item):
        all_keys = sorted({k for el in item if isinstance(el, dict) for k, v in el.items() if not _nested(v)})
        for element in item:
            _format_text(element, stream, identifier, all_keys)
    elif any(isinstance(el, list) for el in item):
        scalars = [el for el in item if not _nested(el)]
        if scalars:
            _format_scalar_list(scalars, identifier, stream)
        for el in item:
            if _nested(el):
                _format_text(el, stream, identifier)
    else:
        _format_scalar_list(item, identifier, stream)


def _nested(value: Any) -> bool:
    return isinstance(value, (dict, list))


def _format_scalar_list(elements: list[Any], identifier: str | None, stream: TextIO) -> None:
    if identifier is not None:
        for el in elements:
            stream.write(f"{identifier.upper()}\t{_scalar(el)}\n")
    else:
        stream.write("\t".join(_scalar(el) for el in elements) + "\n")


def _format_dict(scalar_keys: Any, item: dict[str, Any], identifier: str | None, stream: TextIO) -> None:
    if scalar_keys is None:
        scalars = [_scalar(v) for _, v in sorted(item.items()) if not _nested(v)]
        non_scalars = [(k, v) for k, v in sorted(item.items()) if _nested(v)]
    else:
        scalars = [_scalar(item.get(k, "")) for k in scalar_keys]
        non_scalars = [(k, item[k]) for k in sorted(set(item) - set(scalar_keys))]
    if scalars:
        if identifier is not None:
            scalars.insert(0, identifier.upper())
        stream.write("\t".join(scalars) + "\n")
    for key, value in non_scalars:
        _format_text(value, stream, key)
