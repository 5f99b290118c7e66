"""boto3's resource API for S3 (``s3seal.resource('s3')``), generated from boto3's resource
model (``s3seal._resource_data``) by a small generic engine over an s3seal client.

The engine is boto3's ``boto3/resources`` package, ported: ``model`` (the definitions and
names), ``params`` and ``response`` (request parameters in, results out: pure functions an
async layer can share), ``action``, ``collection``, ``base`` and ``factory`` (the classes),
and ``inject`` (boto3's S3 customizations).

An async twin (aioboto3's ``await obj.get()``, ``async for o in bucket.objects.filter(...)``)
is meant to reuse all of it but the few lines that call the client: ``ServiceAction.request()``
and ``handle()`` around an awaited call, ``BatchAction.page_request()`` per page,
``ResourceCollection._request()`` for a collection's parameters and pagination, the handlers
for results, and the factory for classes (given async methods in place of the sync ones).
Only ``data``-sourced parameters load the parent on demand, synchronously: an async layer
loads first (``await resource.load()``).
"""

from __future__ import annotations

from typing import Any

from s3seal.resources.base import ResourceMeta, ServiceResource
from s3seal.resources.collection import CollectionManager, ResourceCollection
from s3seal.resources.errors import ResourceLoadException
from s3seal.resources.factory import ResourceFactory

__all__ = [
    "CollectionManager",
    "ResourceCollection",
    "ResourceFactory",
    "ResourceLoadException",
    "ResourceMeta",
    "ServiceResource",
    "create_resource",
    "s3_factory",
]


def s3_factory(service_model: Any) -> ResourceFactory:
    """The factory of S3's resource classes, with boto3's S3 customizations."""
    from s3seal import _resource_data
    from s3seal.resources.inject import S3_CUSTOMIZATIONS

    return ResourceFactory(
        "s3", _resource_data.SERVICE, _resource_data.RESOURCES, service_model, S3_CUSTOMIZATIONS
    )


def create_resource(client: Any) -> ServiceResource:
    """``s3.ServiceResource`` over an s3seal client (its ``meta.client``)."""
    cls = s3_factory(client.meta.service_model).service_resource_class()
    return cls(client=client)
