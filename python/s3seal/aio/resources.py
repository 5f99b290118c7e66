"""aioboto3's resource API (``async with session.resource('s3') as s3``) on s3seal's resource
engine (``s3seal.resources``): the same model, parameters, handlers and classes, with the
few parts that call the client made awaitable.

- actions and ``load()`` are coroutines: ``await obj.get()``, ``await bucket.load()``;
- attributes are awaitables that load on first use: ``await obj.content_length``;
- references load the same way (``await multipart_upload_part.multipart_upload``... when
  the data is needed); sub-resources need no call and stay sync (``bucket.Object(key)``);
- collections are async iterables: ``async for o in bucket.objects.filter(Prefix='a/')``,
  ``async for page in bucket.objects.pages()``; batch actions are awaited
  (``await bucket.objects.delete()``);
- waiters are awaited (``await obj.wait_until_exists()``);
- the S3 transfer methods (``await obj.upload_file(...)``) are the async client's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any

from s3seal.exceptions import ClientError
from s3seal.resources import ResourceCollection, ServiceResource
from s3seal.resources.action import BatchAction, ServiceAction, WaiterAction
from s3seal.resources.collection import CollectionManager, collection_classes
from s3seal.resources.errors import ResourceLoadException
from s3seal.resources.factory import ResourceFactory
from s3seal.resources.inject import S3_CUSTOMIZATIONS
from s3seal.resources.model import Action, Collection, ResourceModel, Waiter
from s3seal.resources.response import ResourceHandler


async def _call(action: ServiceAction, parent: Any, *args: Any, **kwargs: Any) -> Any:
    """One action: the sync engine's request and handler around the awaited client call."""
    params = action.request(parent, kwargs)
    response = await getattr(parent.meta.client, action.operation_name)(*args, **params)
    return action.handle(parent, params, response)


class AioServiceResource(ServiceResource):
    """A resource of the async API; ``s3`` itself is used as ``async with ... as s3``.

    aioboto3 builds resources in coroutines (``bucket = await s3.Bucket(name)``); s3seal
    needs no I/O for it, so a resource is returned directly and awaiting it gives itself.
    """

    def __await__(self) -> Generator[Any, None, AioServiceResource]:
        async def itself() -> AioServiceResource:
            return self

        return itself().__await__()

    async def __aenter__(self) -> AioServiceResource:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.meta.client.close()


class AioResourceCollection(ResourceCollection):
    """``async for`` over the resources of a (paginated) list operation."""

    def __iter__(self) -> Any:
        raise TypeError(f"{type(self).__name__} is async; use 'async for'")

    async def __aiter__(self) -> AsyncIterator[Any]:
        limit = self._params.get("limit")
        count = 0
        async for page in self.pages():
            for item in page:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return

    async def pages(self) -> AsyncIterator[list[Any]]:  # type: ignore[override]
        """The resources, a list per response page (``limit`` counts across pages)."""
        client = self._parent.meta.client
        params, pagination = self._request()
        limit = pagination["MaxItems"]
        count = 0
        async for page in _responses(client, self._py_operation_name, params, pagination):
            items = []
            for item in self._handler(self._parent, params, page):
                items.append(item)
                count += 1
                if limit is not None and count >= limit:
                    break
            yield items
            if limit is not None and count >= limit:
                break


async def _responses(
    client: Any, operation: str, params: dict[str, Any], pagination: dict[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """The list operation's response pages: through its paginator when it has one."""
    if client.can_paginate(operation):
        async for page in client.get_paginator(operation).paginate(PaginationConfig=pagination, **params):
            yield page
    else:
        yield await getattr(client, operation)(**params)


class AioCollectionManager(CollectionManager):
    """``bucket.objects``: starts async collections."""

    _collection_cls = AioResourceCollection

    def pages(self) -> AsyncIterator[list[Any]]:  # type: ignore[override]
        return self.iterator().pages()  # type: ignore[return-value]

    def __aiter__(self) -> AsyncIterator[Any]:
        return self.iterator().__aiter__()  # type: ignore[attr-defined,no-any-return]


def _batch_method(name: str, action: BatchAction) -> Callable[..., Awaitable[list[Any]]]:
    async def batch_action(self: AioResourceCollection, *args: Any, **kwargs: Any) -> list[Any]:
        responses = []
        async for page in self.pages():
            params = action.page_request(page, kwargs)
            if not params:
                break
            response = await getattr(page[0].meta.client, action.operation_name)(*args, **params)
            responses.append(action.handle(self, params, response))
        return responses

    batch_action.__name__ = name
    return batch_action


class AioResourceFactory(ResourceFactory):
    """The resource factory with awaitable actions, attributes, references, collections and
    waiters (aioboto3's ``AIOBoto3ResourceFactory``)."""

    resource_base = AioServiceResource

    def _add_actions(self, attrs: dict[str, Any], model: ResourceModel) -> None:
        if model.load is not None:
            attrs["load"] = attrs["reload"] = _load_method(ServiceAction(model.load, self))
        for action in model.actions:
            attrs[action.name] = _action_method(action.name, ServiceAction(action, self))

    def _collection_property(self, resource_name: str, model: Collection) -> property:
        bases = (AioResourceCollection, AioCollectionManager)
        manager_cls = collection_classes(self.service_name, resource_name, model, self, bases, _batch_method)
        factory = self

        def get_collection(self: ServiceResource) -> Any:
            return manager_cls(model, self, factory)

        get_collection.__name__ = model.name
        return property(get_collection)

    def _reference_property(self, model: Action) -> property:
        assert model.resource is not None
        handler = ResourceHandler(model.resource.path, self, model.resource)

        async def get_reference(self: ServiceResource) -> Any:
            if self.meta.data is None and hasattr(self, "load"):
                await self.load()
            return handler(self, {}, self.meta.data)

        def awaitable(self: ServiceResource) -> Awaitable[Any]:
            return get_reference(self)

        awaitable.__name__ = model.name
        return property(awaitable)

    def _attribute_property(self, snake_cased: str, member_name: str) -> property:
        async def load_attribute(self: ServiceResource) -> Any:
            if self.meta.data is None:
                if not hasattr(self, "load"):
                    raise ResourceLoadException(f"{type(self).__name__} has no load method")
                await self.load()
            assert self.meta.data is not None
            return self.meta.data.get(member_name)

        def awaitable(self: ServiceResource) -> Awaitable[Any]:
            return load_attribute(self)

        awaitable.__name__ = snake_cased
        awaitable.__doc__ = f"``await`` the ``{member_name}`` of the loaded data (loaded on first use)."
        return property(awaitable)

    def _waiter_method(self, model: Waiter) -> Callable[..., Any]:
        waiter = WaiterAction(model)

        async def do_waiter(self: ServiceResource, *args: Any, **kwargs: Any) -> None:
            params = waiter.request(self, kwargs)
            await self.meta.client.get_waiter(waiter.waiter_name).wait(**params)

        do_waiter.__name__ = model.name
        return do_waiter


def _load_method(action: ServiceAction) -> Callable[..., Awaitable[None]]:
    async def load(self: ServiceResource, *args: Any, **kwargs: Any) -> None:
        self.meta.data = await _call(action, self, *args, **kwargs)

    return load


def _action_method(name: str, action: ServiceAction) -> Callable[..., Awaitable[Any]]:
    async def do_action(self: ServiceResource, *args: Any, **kwargs: Any) -> Any:
        response = await _call(action, self, *args, **kwargs)
        if hasattr(self, "load"):
            self.meta.data = None  # the action may have changed the resource
        return response

    do_action.__name__ = name
    return do_action


async def bucket_load(self: Any, *args: Any, **kwargs: Any) -> None:
    """boto3's ``Bucket.load`` through ``list_buckets`` (see ``s3seal.resources.inject``)."""
    self.meta.data = {}
    try:
        response = await self.meta.client.list_buckets()
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "AccessDenied":  # type: ignore[attr-defined]
            raise
        return
    for bucket_data in response["Buckets"]:
        if bucket_data["Name"] == self.name:
            self.meta.data = bucket_data
            break


async def object_summary_load(self: Any, *args: Any, **kwargs: Any) -> None:
    """boto3's ``ObjectSummary.load`` through ``head_object``."""
    response = await self.meta.client.head_object(Bucket=self.bucket_name, Key=self.key)
    if "ContentLength" in response:
        response["Size"] = response.pop("ContentLength")
    self.meta.data = response


def _with_async_load(
    customize: Callable[[dict[str, Any]], None], load: Any
) -> Callable[[dict[str, Any]], None]:
    """boto3's customization, its ``load`` replaced by the awaitable one. The transfer
    methods it adds forward to the client's, which are coroutines here already."""

    def customize_async(attrs: dict[str, Any]) -> None:
        customize(attrs)
        attrs["load"] = load

    return customize_async


AIO_S3_CUSTOMIZATIONS = {
    **S3_CUSTOMIZATIONS,
    "s3.Bucket": _with_async_load(S3_CUSTOMIZATIONS["s3.Bucket"], bucket_load),
    "s3.ObjectSummary": _with_async_load(S3_CUSTOMIZATIONS["s3.ObjectSummary"], object_summary_load),
}


def aio_s3_factory(service_model: Any) -> AioResourceFactory:
    """The factory of S3's async resource classes."""
    from s3seal import _resource_data

    return AioResourceFactory(
        "s3", _resource_data.SERVICE, _resource_data.RESOURCES, service_model, AIO_S3_CUSTOMIZATIONS
    )


def create_resource(client: Any) -> AioServiceResource:
    """``s3.ServiceResource`` of the async API over an async client (its ``meta.client``)."""
    cls = aio_s3_factory(client.meta.service_model).service_resource_class()
    resource = cls(client=client)
    assert isinstance(resource, AioServiceResource)
    return resource


__all__ = ["AioResourceFactory", "AioServiceResource", "create_resource"]
