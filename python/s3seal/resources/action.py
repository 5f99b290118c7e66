"""Resource actions, batch actions and waiters: boto3's ``boto3/resources/action.py``, ported.

Each action is split in two pure halves around the client call, ``request()`` (the method name
and the parameters) and ``handle()`` (the result), so that an async resource layer can await
the call in between and reuse everything else.

Unlike boto3, parameters are never logged: they may hold an SSE-C key.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from s3seal.resources.model import Action, Waiter, xform_name
from s3seal.resources.params import create_request_parameters
from s3seal.resources.response import RawHandler, ResourceHandler

if TYPE_CHECKING:
    from s3seal.resources.factory import ResourceFactory

logger = logging.getLogger(__name__)


class ServiceAction:
    """A resource method that calls one client operation (``Object.put`` -> ``put_object``)."""

    def __init__(self, action_model: Action, factory: ResourceFactory) -> None:
        assert action_model.request is not None
        self._action_model = action_model
        self.operation_name = xform_name(action_model.request.operation)
        self._handler: RawHandler | ResourceHandler
        if action_model.resource is not None:
            self._handler = ResourceHandler(
                search_path=action_model.resource.path,
                factory=factory,
                resource_model=action_model.resource,
                operation_name=action_model.request.operation,
            )
        else:
            self._handler = RawHandler(action_model.path)

    def request(self, parent: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's parameters: the parent's, then the caller's (which win)."""
        assert self._action_model.request is not None
        params = create_request_parameters(parent, self._action_model.request)
        params.update(kwargs)
        return params

    def handle(self, parent: Any, params: dict[str, Any], response: Any) -> Any:
        return self._handler(parent, params, response)

    def __call__(self, parent: Any, *args: Any, **kwargs: Any) -> Any:
        params = self.request(parent, kwargs)
        logger.debug("Calling %s:%s", parent.meta.service_name, self.operation_name)
        response = getattr(parent.meta.client, self.operation_name)(*args, **params)
        return self.handle(parent, params, response)


class BatchAction(ServiceAction):
    """A collection method that calls the operation once per page of resources
    (``bucket.objects.delete()`` -> one ``delete_objects`` per page of up to 1000 keys)."""

    def page_request(self, page: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """One request's parameters from every resource of a page; {} for an empty page."""
        assert self._action_model.request is not None
        params: dict[str, Any] = {}
        for index, resource in enumerate(page):
            create_request_parameters(resource, self._action_model.request, params=params, index=index)
        if params:
            params.update(kwargs)
        return params

    def __call__(self, parent: Any, *args: Any, **kwargs: Any) -> list[Any]:
        responses = []
        for page in parent.pages():
            params = self.page_request(page, kwargs)
            if not params:
                break
            client = page[0].meta.client
            logger.debug("Calling %s:%s", page[0].meta.service_name, self.operation_name)
            response = getattr(client, self.operation_name)(*args, **params)
            responses.append(self.handle(parent, params, response))
        return responses


class WaiterAction:
    """``wait_until_exists()``: the client's waiter, with the resource's identifiers."""

    def __init__(self, waiter_model: Waiter) -> None:
        self._waiter_model = waiter_model
        self.waiter_name = xform_name(waiter_model.waiter_name)

    def request(self, parent: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        params = create_request_parameters(parent, self._waiter_model)
        params.update(kwargs)
        return params

    def __call__(self, parent: Any, *args: Any, **kwargs: Any) -> None:
        params = self.request(parent, kwargs)
        parent.meta.client.get_waiter(self.waiter_name).wait(**params)
