"""``session.events`` as botocore's session emitter: creating-client-class handlers shape the
client class, client-event handlers are copied into each client the session makes, and any
other event name is refused. Each behaviour checked beside boto3's on the same ministack."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import s3seal
from s3seal.events import UnsupportedEventError


@pytest.mark.parametrize("sdk", [boto3, s3seal], ids=["boto3", "s3seal"])
def test_creating_client_class_adds_methods_and_bases(sdk: Any, ministack: Any) -> None:
    calls = []

    class Mixin:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            calls.append("init")

    def add(class_attributes: dict[str, Any], base_classes: list[type], **kwargs: Any) -> None:
        class_attributes["bucket_count"] = lambda self: len(self.list_buckets()["Buckets"])
        base_classes.insert(0, Mixin)
        calls.append(kwargs["event_name"])

    session = sdk.Session()
    session.events.register("creating-client-class.s3", add)
    client = session.client("s3", **ministack.client_kwargs())
    assert isinstance(client, Mixin) and type(client).__name__ == "S3"
    assert isinstance(client.bucket_count(), int)
    assert calls == ["creating-client-class.s3", "init"]
    # The session's other clients get it too; a new session's do not.
    assert hasattr(session.client("s3", **ministack.client_kwargs()), "bucket_count")
    assert not hasattr(sdk.Session().client("s3", **ministack.client_kwargs()), "bucket_count")


@pytest.mark.parametrize("sdk", [boto3, s3seal], ids=["boto3", "s3seal"])
def test_client_handlers_registered_on_the_session_reach_its_clients(
    sdk: Any, ministack: Any, mbucket: str
) -> None:
    seen: list[str] = []

    def default_bucket(params: dict[str, Any], **kwargs: Any) -> None:
        params.setdefault("Bucket", mbucket)
        seen.append(kwargs["event_name"])

    session = sdk.Session()
    session.events.register("provide-client-params.s3.ListObjectsV2", default_bucket)
    before = session.client("s3", **ministack.client_kwargs())
    assert before.list_objects_v2()["Name"] == mbucket
    session.events.unregister("provide-client-params.s3.ListObjectsV2", default_bucket)
    after = session.client("s3", **ministack.client_kwargs())
    with pytest.raises(Exception) as refused:
        after.list_objects_v2()
    assert type(refused.value).__name__ == "ParamValidationError"
    # Copied at creation, as botocore copies the emitter: the earlier client keeps it.
    assert before.list_objects_v2()["Name"] == mbucket
    assert seen == ["provide-client-params.s3.ListObjectsV2"] * 2


def test_a_session_event_s3seal_does_not_fire_is_refused() -> None:
    session = s3seal.Session()
    for name in ("request-created.s3.ListObjectsV2", "creating-resource-class.s3.Bucket", "needs-retry"):
        with pytest.raises(UnsupportedEventError, match="creating-client-class"):
            session.events.register(name, lambda **kwargs: None)
