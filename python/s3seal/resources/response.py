"""What resource actions return: boto3's ``boto3/resources/response.py``, ported.

A handler turns a client response into the action's result: the raw dict (or a JMESPath part
of it), or new resource objects whose identifiers come from the response, the request or the
parent. Handlers do no I/O of their own, so an async layer can reuse them on awaited responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import jmespath

from s3seal.resources.model import Parameter, ResponseResource, xform_name
from s3seal.resources.params import get_data_member

if TYPE_CHECKING:
    from s3seal.resources.factory import ResourceFactory


def all_not_none(values: Iterable[Any]) -> bool:
    """Like ``all``, but only None counts as missing (0 and False are identifiers too)."""
    return all(v is not None for v in values)


def build_identifiers(
    identifiers: list[Parameter],
    parent: Any,
    params: dict[str, Any] | None = None,
    raw_response: Any = None,
) -> list[tuple[str, Any]]:
    """(snake_case identifier, value) pairs; a value is a list when a response holds many."""
    results = []
    for identifier in identifiers:
        source = identifier.source
        if source == "response":
            value = jmespath.search(identifier.path, raw_response)
        elif source == "requestParameter":
            value = jmespath.search(identifier.path, params)
        elif source == "identifier":
            assert identifier.name is not None
            value = getattr(parent, xform_name(identifier.name))
        elif source == "data":
            value = get_data_member(parent, identifier.path)
        elif source == "input":
            continue
        else:
            raise NotImplementedError(f"Unsupported source type: {source}")
        results.append((xform_name(identifier.target), value))
    return results


def build_empty_response(search_path: str | None, operation_name: str, service_model: Any) -> Any:
    """The empty value of the type the response would have held: [] for a list, {} for a
    structure or map, None otherwise (an empty listing gives an empty list of resources)."""
    shape = service_model.operation_model(operation_name).output_shape
    for item in (search_path or "").split(".") if search_path else ():
        item = item.strip("[0123456789]$")
        if shape.type_name == "structure":
            shape = shape.members[item]
        elif shape.type_name == "list":
            shape = shape.member
        else:
            raise NotImplementedError(f"Search path hits shape type {shape.type_name} from {item}")
    if shape.type_name in ("structure", "map"):
        return {}
    if shape.type_name == "list":
        return []
    return None


class RawHandler:
    """The client response itself, or its ``path`` part."""

    def __init__(self, search_path: str | None) -> None:
        self.search_path = search_path

    def __call__(self, parent: Any, params: dict[str, Any], response: Any) -> Any:
        if self.search_path and self.search_path != "$":
            return jmespath.search(self.search_path, response)
        return response


class ResourceHandler:
    """New resource(s) of ``resource_model.type`` from a response: one per value when an
    identifier is a list (a listing), each with its slice of the response as its data."""

    def __init__(
        self,
        search_path: str | None,
        factory: ResourceFactory,
        resource_model: ResponseResource,
        operation_name: str | None = None,
    ) -> None:
        self.search_path = search_path
        self.factory = factory
        self.resource_model = resource_model
        self.operation_name = operation_name

    def __call__(self, parent: Any, params: dict[str, Any], response: Any) -> Any:
        resource_cls = self.factory.resource_class(self.resource_model.type)
        search_response = jmespath.search(self.search_path, response) if self.search_path else None
        identifiers = dict(build_identifiers(self.resource_model.identifiers, parent, params, response))
        plural = [v for v in identifiers.values() if isinstance(v, list)]
        if plural:
            return [
                self._item(resource_cls, parent, identifiers, search_response[i] if search_response else None)
                for i in range(len(plural[0]))
            ]
        if all_not_none(identifiers.values()):
            return self._item(resource_cls, parent, identifiers, search_response)
        if self.operation_name is None:
            return None
        return build_empty_response(
            self.search_path, self.operation_name, parent.meta.client.meta.service_model
        )

    @staticmethod
    def _item(resource_cls: type, parent: Any, identifiers: dict[str, Any], data: Any) -> Any:
        # Plural identifiers are consumed in order, one value per new resource.
        kwargs = {
            name: value.pop(0) if isinstance(value, list) else value for name, value in identifiers.items()
        }
        resource = resource_cls(client=parent.meta.client, **kwargs)
        if data is not None:
            resource.meta.data = data
        return resource
