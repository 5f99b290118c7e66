"""``client.meta`` and its ``service_model``: botocore's ``ClientMeta`` and ``botocore.model``
read-only views, over the facts ``tools/gen_client_data.py`` copied into ``s3seal._data``.

``_data`` is imported on first use only: it is large, and most programs never look.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any


def _data() -> Any:
    from s3seal import _data

    return _data


class Shape:
    """A model shape (botocore.model.Shape): ``name``, ``type_name``, ``metadata``."""

    def __init__(self, name: str, model: dict[str, Any], service_model: ServiceModel) -> None:
        self.name = name
        self.type_name: str = model["type"]
        self.documentation = ""
        self._model = model
        self._service_model = service_model

    @cached_property
    def serialization(self) -> dict[str, Any]:
        """Where and how the shape goes on the wire (``locationName`` is reported as ``name``)."""
        found = {k: self._model[k] for k in _data().SHAPE_ATTRS["serialization"] if k in self._model}
        if "locationName" in found:
            found["name"] = found.pop("locationName")
        return found

    @cached_property
    def metadata(self) -> dict[str, Any]:
        return {k: self._model[k] for k in _data().SHAPE_ATTRS["metadata"] if k in self._model}

    @cached_property
    def required_members(self) -> list[str]:
        return list(self.metadata.get("required", []))

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}({self.name})>"


class StructureShape(Shape):
    @cached_property
    def members(self) -> dict[str, Shape]:
        resolve = self._service_model.resolve_shape_ref
        return {m: resolve(ref) for m, ref in self._model.get("members", {}).items()}

    @cached_property
    def error_code(self) -> str | None:
        if not self.metadata.get("exception", False):
            return None
        return self.metadata.get("error", {}).get("code") or self.name

    @property
    def payload(self) -> str | None:
        return self._model.get("payload")

    @cached_property
    def is_document_type(self) -> bool:
        return bool(self.metadata.get("document", False))

    @cached_property
    def is_tagged_union(self) -> bool:
        return bool(self.metadata.get("union", False))


class ListShape(Shape):
    @cached_property
    def member(self) -> Shape:
        return self._service_model.resolve_shape_ref(self._model["member"])


class MapShape(Shape):
    @cached_property
    def key(self) -> Shape:
        return self._service_model.resolve_shape_ref(self._model["key"])

    @cached_property
    def value(self) -> Shape:
        return self._service_model.resolve_shape_ref(self._model["value"])


class StringShape(Shape):
    @cached_property
    def enum(self) -> list[str]:
        return list(self.metadata.get("enum", []))


_SHAPE_CLASSES: dict[str, type[Shape]] = {
    "structure": StructureShape,
    "list": ListShape,
    "map": MapShape,
    "string": StringShape,
}


class OperationModel:
    """One operation (botocore.model.OperationModel): name, HTTP binding, shapes, errors."""

    def __init__(self, name: str, model: dict[str, Any], service_model: ServiceModel) -> None:
        self.name = name
        self.wire_name = name
        self.http: dict[str, str] = model["http"]
        self._model = model
        self._service_model = service_model

    @property
    def service_model(self) -> ServiceModel:
        return self._service_model

    @cached_property
    def input_shape(self) -> Shape | None:
        ref = self._model["input"]
        return self._service_model.resolve_shape_ref(ref) if ref else None

    @cached_property
    def output_shape(self) -> Shape | None:
        ref = self._model["output"]
        return self._service_model.resolve_shape_ref(ref) if ref else None

    @cached_property
    def error_shapes(self) -> list[Shape]:
        return [self._service_model.shape_for(name) for name in self._model["errors"]]

    def __repr__(self) -> str:
        return f"OperationModel(name={self.name})"


class ServiceModel:
    """The S3 service model (botocore.model.ServiceModel), read-only."""

    service_name = "s3"

    def __init__(self) -> None:
        self._shapes: dict[str, Shape] = {}

    @cached_property
    def metadata(self) -> dict[str, Any]:
        return dict(_data().METADATA)

    @cached_property
    def operation_names(self) -> list[str]:
        return list(_data().OPERATIONS)

    @cached_property
    def shape_names(self) -> list[str]:
        return list(_data().SHAPES)

    def operation_model(self, operation_name: str) -> OperationModel:
        try:
            model = _data().OPERATIONS[operation_name]
        except KeyError:
            raise ValueError(f"Operation not found: {operation_name}") from None
        return OperationModel(operation_name, model, self)

    def shape_for(self, shape_name: str, member_traits: dict[str, Any] | None = None) -> Shape:
        """A shape by name; member traits (a member's location, name, ...) are laid over it,
        as botocore does, in a shape of its own."""
        if not member_traits and shape_name in self._shapes:
            return self._shapes[shape_name]
        try:
            model = _data().SHAPES[shape_name]
        except KeyError:
            raise ValueError(f"Shape not found: {shape_name}") from None
        cls = _SHAPE_CLASSES.get(model["type"], Shape)
        if member_traits:
            return cls(shape_name, {**model, **member_traits}, self)
        self._shapes[shape_name] = cls(shape_name, model, self)
        return self._shapes[shape_name]

    def resolve_shape_ref(self, shape_ref: str | dict[str, Any]) -> Shape:
        """A reference as ``_data`` stores it: a shape name, or a dict with member traits."""
        if isinstance(shape_ref, str):
            return self.shape_for(shape_ref)
        traits = {k: v for k, v in shape_ref.items() if k != "shape"}
        return self.shape_for(shape_ref["shape"], traits)

    @cached_property
    def error_shapes(self) -> list[Shape]:
        return [self.shape_for(n) for n, s in _data().SHAPES.items() if s.get("exception")]

    @property
    def service_id(self) -> str:
        return str(self.metadata["serviceId"])

    @property
    def signing_name(self) -> str:
        return str(self.metadata.get("signingName", self.metadata["endpointPrefix"]))

    @property
    def api_version(self) -> str:
        return str(self.metadata["apiVersion"])

    @property
    def protocol(self) -> str:
        return str(self.metadata["protocol"])

    @property
    def endpoint_prefix(self) -> str:
        return str(self.metadata["endpointPrefix"])

    @property
    def signature_version(self) -> str:
        # The model's value ('s3'); the client signs with SigV4 (config.signature_version 's3v4').
        return str(self.metadata["signatureVersion"])

    def __repr__(self) -> str:
        return "ServiceModel(s3)"


_SERVICE_MODEL: ServiceModel | None = None


def service_model() -> ServiceModel:
    """The one shared (immutable) S3 service model."""
    global _SERVICE_MODEL
    if _SERVICE_MODEL is None:
        _SERVICE_MODEL = ServiceModel()
    return _SERVICE_MODEL


def partition_for_region(region_name: str) -> str:
    """botocore's ``EndpointResolver.get_partition_for_region``: the partition that lists the
    region, or whose ``regionRegex`` matches it.

    Raises:
        UnknownRegionError: no partition has it.
    """
    import re

    from s3seal._data import PARTITIONS
    from s3seal.exceptions import UnknownRegionError

    for name, partition in PARTITIONS.items():
        if region_name in partition["regions"]:
            return name
        if partition["regionRegex"] and re.match(partition["regionRegex"], region_name):
            return name
    raise UnknownRegionError(
        region_name=region_name, error_msg="No partition found for provided region_name."
    )


def client_partition(region_name: str | None) -> str:
    """``client.meta.partition``: the region's partition; 'aws' for a region no partition has
    (botocore resolves such a region's endpoint in the default partition)."""
    from s3seal.exceptions import UnknownRegionError

    try:
        return partition_for_region(region_name or "us-east-1")
    except UnknownRegionError:
        return "aws"


class ClientMeta:
    """``client.meta`` (botocore's ClientMeta). An attribute holder on purpose: ``events``
    (the hook registry) is added by the request path later, as botocore sets it."""

    def __init__(
        self,
        client_config: Any,
        endpoint_url: str,
        method_to_api_mapping: dict[str, str],
        partition: str = "aws",
    ) -> None:
        self._client_config = client_config
        self._endpoint_url = endpoint_url
        self._method_to_api_mapping = method_to_api_mapping
        self._partition = partition
        # The client sets it: botocore's hook registry (s3seal.events.EventHooks).
        self.events: Any = None

    @property
    def service_model(self) -> ServiceModel:
        return service_model()

    @property
    def region_name(self) -> str | None:
        return self._client_config.region_name  # type: ignore[no-any-return]

    @property
    def endpoint_url(self) -> str:
        return self._endpoint_url

    @property
    def config(self) -> Any:
        return self._client_config

    @property
    def method_to_api_mapping(self) -> dict[str, str]:
        return self._method_to_api_mapping

    @property
    def partition(self) -> str:
        return self._partition
