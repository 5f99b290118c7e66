"""Request parameters of resource actions: boto3's ``boto3/resources/params.py``, ported.

Pure functions of a resource and a request model (no I/O besides the parent's ``load()``), so
that a synchronous and an asynchronous resource layer build exactly the same requests.
"""

from __future__ import annotations

import re
from typing import Any

import jmespath

from s3seal.resources.errors import ResourceLoadException
from s3seal.resources.model import DefinitionWithParams, xform_name

_INDEX = re.compile(r"\[(.*)\]$")


def get_data_member(parent: Any, path: str | None) -> Any:
    """A JMESPath query into the parent's data, loading the parent first if needed."""
    if parent.meta.data is None:
        if not hasattr(parent, "load"):
            raise ResourceLoadException(f"{parent.__class__.__name__} has no load method!")
        parent.load()
    return jmespath.search(path, parent.meta.data) if path else None


def create_request_parameters(
    parent: Any,
    request_model: DefinitionWithParams,
    params: dict[str, Any] | None = None,
    index: int | None = None,
) -> dict[str, Any]:
    """The parameters an action fills in itself: from the parent's identifiers, its data, or
    constants. ``params`` is extended in place (batch actions build one request from many
    resources, ``index`` being the resource's position)."""
    if params is None:
        params = {}
    for param in request_model.params:
        if param.source == "identifier":
            assert param.name is not None
            value = getattr(parent, xform_name(param.name))
        elif param.source == "data":
            value = get_data_member(parent, param.path)
        elif param.source in ("string", "integer", "boolean"):
            value = param.value
        elif param.source == "input":
            continue
        else:
            raise NotImplementedError(f"Unsupported source type: {param.source}")
        build_param_structure(params, param.target, value, index)
    return params


def build_param_structure(params: dict[str, Any], target: str, value: Any, index: int | None = None) -> None:
    """A reverse JMESPath: set ``value`` at ``target`` (``Delete.Objects[].Key``), creating
    the dicts and lists on the way; ``[]`` appends, or writes at ``index`` when given."""
    pos: Any = params
    parts = target.split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        match = _INDEX.search(part)
        if not match:
            if part not in pos:
                pos[part] = {}
            if last:
                pos[part] = value
            else:
                pos = pos[part]
            continue
        if match.group(1) == "*":
            part = part[:-3]
        elif match.group(1):
            index = int(match.group(1))
            part = part[: -len(f"{index}[]")]
        else:
            index = None
            part = part[:-2]
        if part not in pos or not isinstance(pos[part], list):
            pos[part] = []
        if index is None:
            index = len(pos[part])
        while len(pos[part]) <= index:
            pos[part].append({})
        if last:
            pos[part][index] = value
        else:
            pos = pos[part][index]
