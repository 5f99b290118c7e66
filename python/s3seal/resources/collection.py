"""Collections (``bucket.objects``, ``s3.buckets``): boto3's ``boto3/resources/collection.py``.

A collection is lazy and immutable: ``all()``, ``filter(**params)``, ``limit(n)`` and
``page_size(n)`` return new collections; iterating, or ``pages()``, calls the client, through
its paginator when the operation has one (``MaxItems`` = limit, ``PageSize`` = page size).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from s3seal.resources.action import BatchAction
from s3seal.resources.model import Collection, xform_name
from s3seal.resources.params import create_request_parameters
from s3seal.resources.response import ResourceHandler

if TYPE_CHECKING:
    from s3seal.resources.factory import ResourceFactory

logger = logging.getLogger(__name__)

_C = TypeVar("_C", bound="ResourceCollection")


def merge_dicts(dict1: dict[str, Any], dict2: dict[str, Any]) -> None:
    """botocore's ``merge_dicts(..., append_lists=True)``: dict2 into dict1, recursively,
    lists appended (``filter(...)`` twice accumulates, as in boto3)."""
    for key, value in dict2.items():
        if isinstance(value, dict) and isinstance(dict1.get(key), dict):
            merge_dicts(dict1[key], value)
        elif isinstance(value, list) and isinstance(dict1.get(key), list):
            dict1[key].extend(value)
        else:
            dict1[key] = value


class ResourceCollection:
    """An iterable of resources, built from a (paginated) list operation."""

    def __init__(self, model: Collection, parent: Any, handler: ResourceHandler, **kwargs: Any) -> None:
        assert model.request is not None
        self._model = model
        self._parent = parent
        self._py_operation_name = xform_name(model.request.operation)
        self._handler = handler
        self._params = copy.deepcopy(kwargs)

    def __repr__(self) -> str:
        assert self._model.resource is not None
        return f"{type(self).__name__}({self._parent}, {self._parent.meta.service_name}.{self._model.resource.type})"

    def __iter__(self) -> Iterator[Any]:
        limit = self._params.get("limit")
        count = 0
        for page in self.pages():
            for item in page:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return

    def _clone(self: _C, **kwargs: Any) -> _C:
        params = copy.deepcopy(self._params)
        merge_dicts(params, kwargs)
        return type(self)(self._model, self._parent, self._handler, **params)

    def _request(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The list call's parameters, and the pagination config from limit/page_size."""
        assert self._model.request is not None
        cleaned = dict(self._params)
        pagination = {"MaxItems": cleaned.pop("limit", None), "PageSize": cleaned.pop("page_size", None)}
        params = create_request_parameters(self._parent, self._model.request)
        merge_dicts(params, cleaned)
        return params, pagination

    def pages(self) -> Iterator[list[Any]]:
        """The resources, a list per response page (``limit`` counts across pages)."""
        client = self._parent.meta.client
        params, pagination = self._request()
        logger.debug("Calling %s:%s", self._parent.meta.service_name, self._py_operation_name)
        pages: Iterable[Any]
        if client.can_paginate(self._py_operation_name):
            paginator = client.get_paginator(self._py_operation_name)
            pages = paginator.paginate(PaginationConfig=pagination, **params)
        else:
            pages = [getattr(client, self._py_operation_name)(**params)]
        limit = pagination["MaxItems"]
        count = 0
        for page in pages:
            items = []
            for item in self._handler(self._parent, params, page):
                items.append(item)
                count += 1
                if limit is not None and count >= limit:
                    break
            yield items
            if limit is not None and count >= limit:
                break

    def all(self: _C) -> _C:
        return self._clone()

    def filter(self: _C, **kwargs: Any) -> _C:
        return self._clone(**kwargs)

    def limit(self: _C, count: int) -> _C:
        return self._clone(limit=count)

    def page_size(self: _C, count: int) -> _C:
        return self._clone(page_size=count)


class CollectionManager:
    """The ``bucket.objects`` attribute: starts collections (``all()``, ``filter()``...)."""

    _collection_cls: type[ResourceCollection] = ResourceCollection

    def __init__(self, collection_model: Collection, parent: Any, factory: ResourceFactory) -> None:
        assert collection_model.request is not None and collection_model.resource is not None
        self._model = collection_model
        self._parent = parent
        self._handler = ResourceHandler(
            search_path=collection_model.resource.path,
            factory=factory,
            resource_model=collection_model.resource,
            operation_name=collection_model.request.operation,
        )

    def __repr__(self) -> str:
        assert self._model.resource is not None
        return f"{type(self).__name__}({self._parent}, {self._parent.meta.service_name}.{self._model.resource.type})"

    def iterator(self, **kwargs: Any) -> ResourceCollection:
        return self._collection_cls(self._model, self._parent, self._handler, **kwargs)

    def all(self) -> ResourceCollection:
        return self.iterator()

    def filter(self, **kwargs: Any) -> ResourceCollection:
        return self.iterator(**kwargs)

    def limit(self, count: int) -> ResourceCollection:
        return self.iterator(limit=count)

    def page_size(self, count: int) -> ResourceCollection:
        return self.iterator(page_size=count)

    def pages(self) -> Iterator[list[Any]]:
        return self.iterator().pages()


def _batch_method(name: str, action: BatchAction) -> Any:
    def batch_action(self: ResourceCollection, *args: Any, **kwargs: Any) -> list[Any]:
        return action(self, *args, **kwargs)

    batch_action.__name__ = name
    return batch_action


def collection_classes(
    service_name: str,
    resource_name: str,
    model: Collection,
    factory: ResourceFactory,
    bases: tuple[type[ResourceCollection], type[CollectionManager]] = (ResourceCollection, CollectionManager),
    batch_method: Callable[[str, BatchAction], Any] = _batch_method,
) -> type[CollectionManager]:
    """The manager class of one collection, named as boto3 names it
    (``s3.Bucket.objectsCollectionManager``). The batch actions are on both the manager and
    its collections: ``bucket.objects.delete()`` and ``bucket.objects.filter(...).delete()``.
    The async resources give their own ``bases`` and ``batch_method``."""
    attrs = {}
    for action_model in model.batch_actions:
        name = xform_name(action_model.name)
        attrs[name] = batch_method(name, BatchAction(action_model, factory))
    prefix = service_name if resource_name == service_name else f"{service_name}.{resource_name}"
    cls_name = f"{prefix}.{model.name}Collection"
    collection_base, manager_base = bases
    collection_cls = type(cls_name, (collection_base,), attrs)
    return type(f"{cls_name}Manager", (manager_base,), {**attrs, "_collection_cls": collection_cls})
