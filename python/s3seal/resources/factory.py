"""Resource classes built from the model: boto3's ``boto3/resources/factory.py``, ported.

No class is written by hand: each one (``s3.Bucket``, ``s3.Object``...) is made with
``type()`` from its definition in ``s3seal._resource_data`` and the service model's shapes,
then given boto3's S3 customizations (``s3seal.resources.inject``). Classes are built once per
factory and cached (boto3 rebuilds one for every resource a listing returns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from s3seal.resources.action import ServiceAction, WaiterAction
from s3seal.resources.base import ResourceMeta, ServiceResource
from s3seal.resources.collection import collection_classes
from s3seal.resources.errors import ResourceLoadException
from s3seal.resources.model import Action, Collection, Identifier, ResourceModel, Waiter
from s3seal.resources.response import ResourceHandler, build_identifiers

# Called with a new class's attributes, by class name (boto3's ``creating-resource-class``).
Customizer = Callable[[dict[str, Any]], None]


class ResourceFactory:
    """Builds (and caches) the resource classes of one service resource model.

    The async factory (``s3seal.aio.resources``) replaces the parts that call the client:
    ``resource_base``, ``_add_actions``, ``_collection_property``, ``_reference_property``,
    ``_attribute_property`` and ``_waiter_method``.
    """

    resource_base: type[ServiceResource] = ServiceResource

    def __init__(
        self,
        service_name: str,
        service_definition: dict[str, Any],
        resource_defs: dict[str, Any],
        service_model: Any,
        customizations: Mapping[str, Customizer] | None = None,
    ) -> None:
        self.service_name = service_name
        self.service_definition = service_definition
        self.resource_defs = resource_defs
        self.service_model = service_model
        self._customizations = customizations or {}
        self._classes: dict[str, type[ServiceResource]] = {}

    def service_resource_class(self) -> type[ServiceResource]:
        """The ``s3.ServiceResource`` class (``resource('s3')``'s type)."""
        return self.resource_class(self.service_name)

    def resource_class(self, resource_name: str) -> type[ServiceResource]:
        if resource_name not in self._classes:
            definition = (
                self.service_definition
                if resource_name == self.service_name
                else self.resource_defs.get(resource_name, {})
            )
            self._classes[resource_name] = self._build(resource_name, definition)
        return self._classes[resource_name]

    def _build(self, resource_name: str, definition: dict[str, Any]) -> type[ServiceResource]:
        model = ResourceModel(resource_name, definition, self.resource_defs)
        shape = self.service_model.shape_for(model.shape) if model.shape else None
        model.load_rename_map(shape)
        meta = ResourceMeta(self.service_name, resource_model=model)
        attrs: dict[str, Any] = {"meta": meta}
        for identifier in model.identifiers:
            meta.identifiers.append(identifier.name)
            attrs[identifier.name] = _identifier_property(identifier.name)
        self._add_actions(attrs, model)
        if shape is not None:
            _add_attributes(attrs, model, shape, self._attribute_property)
        for collection in model.collections:
            attrs[collection.name] = self._collection_property(resource_name, collection)
        for reference in model.references:
            attrs[reference.name] = self._reference_property(reference)
        subresources = model.subresources
        for subresource in subresources:
            attrs[subresource.name] = self._subresource_method(subresource)
        names = sorted(s.name for s in subresources)
        attrs["get_available_subresources"] = lambda self: names
        for waiter in model.waiters:
            attrs[waiter.name] = self._waiter_method(waiter)
        cls_name = "ServiceResource" if resource_name == self.service_name else resource_name
        cls_name = f"{self.service_name}.{cls_name}"
        customize = self._customizations.get(cls_name)
        if customize is not None:
            customize(attrs)
        return type(cls_name, (self.resource_base,), attrs)

    def _add_actions(self, attrs: dict[str, Any], model: ResourceModel) -> None:
        load = model.load
        if load is not None:
            attrs["load"] = attrs["reload"] = _load_method(ServiceAction(load, self))
        for action in model.actions:
            attrs[action.name] = _action_method(action.name, ServiceAction(action, self))

    def _collection_property(self, resource_name: str, model: Collection) -> property:
        manager_cls = collection_classes(self.service_name, resource_name, model, self)

        def get_collection(self: ServiceResource) -> Any:
            return manager_cls(model, self, factory)

        factory = self
        get_collection.__name__ = model.name
        return property(get_collection)

    def _reference_property(self, model: Action) -> property:
        """A related resource whose identifiers are in this one's data (loading it if needed)."""
        assert model.resource is not None
        handler = ResourceHandler(model.resource.path, self, model.resource)

        def get_reference(self: ServiceResource) -> Any:
            if self.meta.data is None and hasattr(self, "load"):
                self.load()
            return handler(self, {}, self.meta.data)

        get_reference.__name__ = model.name
        return property(get_reference)

    def _attribute_property(self, snake_cased: str, member_name: str) -> property:
        return _autoload_property(snake_cased, member_name)

    def _waiter_method(self, model: Waiter) -> Callable[..., Any]:
        return _waiter_method(model)

    def _subresource_method(self, model: Action) -> Callable[..., Any]:
        """``bucket.Object(key)``: a resource with this one's identifiers first."""
        assert model.resource is not None
        resource = model.resource
        factory = self

        def create_resource(self: ServiceResource, *args: Any, **kwargs: Any) -> Any:
            cls = factory.resource_class(resource.type)
            positional = [value for _, value in build_identifiers(resource.identifiers, self)]
            return partial(cls, *positional, client=self.meta.client)(*args, **kwargs)

        create_resource.__name__ = resource.type
        return create_resource


def _identifier_property(name: str) -> property:
    def get_identifier(self: ServiceResource) -> Any:
        return getattr(self, f"_{name}", None)

    get_identifier.__name__ = name
    return property(get_identifier)


def _add_attributes(
    attrs: dict[str, Any], model: ResourceModel, shape: Any, make_property: Callable[[str, str], property]
) -> None:
    """One lazy property per member of the resource's shape (``content_length``), except an
    identifier's alias (``ObjectSummary.key``), which reads the identifier."""
    aliases: dict[str | None, Identifier] = {i.member_name: i for i in model.identifiers if i.member_name}
    for name, (member_name, _member) in model.get_attributes(shape).items():
        if name in aliases:
            attrs[name] = _identifier_property(aliases[name].name)
        else:
            attrs[name] = make_property(name, member_name)


def _autoload_property(snake_cased: str, member_name: str) -> property:
    def property_loader(self: ServiceResource) -> Any:
        if self.meta.data is None:
            if not hasattr(self, "load"):
                raise ResourceLoadException(f"{type(self).__name__} has no load method")
            self.load()
        assert self.meta.data is not None
        return self.meta.data.get(member_name)

    property_loader.__name__ = snake_cased
    property_loader.__doc__ = f"The ``{member_name}`` of the loaded data (``load()`` on first access)."
    return property(property_loader)


def _load_method(action: ServiceAction) -> Callable[..., None]:
    def load(self: ServiceResource, *args: Any, **kwargs: Any) -> None:
        self.meta.data = action(self, *args, **kwargs)

    load.__doc__ = (
        f"Calls ``s3.Client.{action.operation_name}()`` to update the resource's attributes "
        "(``load`` and ``reload`` are the same method)."
    )
    return load


def _action_method(name: str, action: ServiceAction) -> Callable[..., Any]:
    def do_action(self: ServiceResource, *args: Any, **kwargs: Any) -> Any:
        response = action(self, *args, **kwargs)
        # The action may have changed the resource: its attributes are loaded again.
        if hasattr(self, "load"):
            self.meta.data = None
        return response

    do_action.__name__ = name
    do_action.__doc__ = (
        f"Calls ``s3.Client.{action.operation_name}()``, the resource's identifiers filled in."
    )
    return do_action


def _waiter_method(model: Waiter) -> Callable[..., None]:
    waiter = WaiterAction(model)

    def do_waiter(self: ServiceResource, *args: Any, **kwargs: Any) -> None:
        waiter(self, *args, **kwargs)

    do_waiter.__name__ = model.name
    do_waiter.__doc__ = (
        f"Waits with ``s3.Client.get_waiter({waiter.waiter_name!r})``, the identifiers filled in."
    )
    return do_waiter
