"""The base of every resource class: boto3's ``boto3/resources/base.py``, ported."""

from __future__ import annotations

from typing import Any


class ResourceMeta:
    """``resource.meta``: the service name, identifier names, client, loaded data and model."""

    def __init__(
        self,
        service_name: str,
        identifiers: list[str] | None = None,
        client: Any = None,
        data: dict[str, Any] | None = None,
        resource_model: Any = None,
    ) -> None:
        self.service_name = service_name
        self.identifiers = identifiers if identifiers is not None else []
        self.client = client
        self.data = data
        self.resource_model = resource_model

    def __repr__(self) -> str:
        return f"ResourceMeta('{self.service_name}', identifiers={self.identifiers})"

    def __eq__(self, other: object) -> bool:
        if other.__class__.__name__ != self.__class__.__name__:
            return False
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content (as boto3)

    def copy(self) -> ResourceMeta:
        params = self.__dict__.copy()
        return ResourceMeta(params.pop("service_name"), **params)


class ServiceResource:
    """A resource object: identifiers as read-only attributes, compared and hashed by them.

    ``repr`` shows the class and identifiers only (``s3.Object(bucket_name='b', key='k')``):
    no request parameter, and so no SSE-C key, is ever kept on a resource.
    """

    meta: ResourceMeta  # the class's template, copied per instance

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.meta = self.meta.copy()
        client = kwargs.pop("client", None)
        if client is None:
            import s3seal

            client = s3seal.client(self.meta.service_name)
        self.meta.client = client
        if len(args) > len(self.meta.identifiers):
            raise TypeError(f"{type(self).__name__} takes at most {len(self.meta.identifiers)} identifiers")
        for name, value in zip(self.meta.identifiers, args, strict=False):
            setattr(self, f"_{name}", value)
        for name, value in kwargs.items():
            if name not in self.meta.identifiers:
                raise ValueError(f"Unknown keyword argument: {name}")
            setattr(self, f"_{name}", value)
        for name in self.meta.identifiers:
            if getattr(self, name) is None:
                raise ValueError(f"Required parameter {name} not set")

    def _identifier_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.meta.identifiers)

    def __repr__(self) -> str:
        identifiers = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.meta.identifiers)
        return f"{type(self).__name__}({identifiers})"

    def __eq__(self, other: object) -> bool:
        if other.__class__.__name__ != self.__class__.__name__:
            return False
        return self._identifier_values() == other._identifier_values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._identifier_values()))
