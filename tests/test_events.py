"""``client.meta.events``: botocore's names, ordering and arguments, fired for every request
(transfer parts included), handlers that change requests, and no event that never fires."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import botocore.exceptions
import botocore.hooks
import pytest
import s3seal
from conftest import SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5, make_bucket
from s3seal.events import UnsupportedEventError

SSEC_HEADERS = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": SSE_KEY_B64,
    "x-amz-server-side-encryption-customer-key-MD5": SSE_KEY_MD5,
}


def inject_sse_c(params: dict[str, Any], **kwargs: Any) -> None:
    """What the ceph s3-tests do: put the SSE-C headers on the request dict."""
    params["headers"].update(SSEC_HEADERS)


def test_headers_injected_at_before_call_encrypt_at_rest_on_garage(garage) -> None:  # type: ignore[no-untyped-def]
    s3 = s3seal.client("s3", **garage.client_kwargs())
    bucket = make_bucket(garage)
    marker = b"EVENT-MARKER-" + os.urandom(8).hex().encode()
    s3.meta.events.register("before-call.s3.PutObject", inject_sse_c)
    s3.put_object(Bucket=bucket, Key="enc", Body=marker * 50)
    s3.meta.events.unregister("before-call.s3.PutObject", inject_sse_c)
    stored = b"".join(p.read_bytes() for p in (garage.workdir / "data").rglob("*") if p.is_file())
    assert marker not in stored, "the object the handler meant encrypted is stored in plaintext"
    with pytest.raises(botocore.exceptions.ClientError):
        s3.get_object(Bucket=bucket, Key="enc")
    s3.meta.events.register("before-call.s3.GetObject", inject_sse_c)
    assert s3.get_object(Bucket=bucket, Key="enc")["Body"].read() == marker * 50
    assert s3.get_object(Bucket=bucket, Key="enc", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)


@pytest.mark.parametrize(
    "name",
    [
        "request-created.s3",
        "needs-retry.s3.PutObject",
        "before-call.ec2",
        "before-call.s3.NoSuchOp",
        "after-call.s3.Get.x",
    ],
)
def test_events_that_never_fire_are_refused(ms3, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsupportedEventError, match="does not fire"):
        ms3.meta.events.register(name, lambda **kw: None)
    assert isinstance(UnsupportedEventError("x"), ValueError)


def test_handler_order_is_botocores(ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    registrations = [
        ("register", "before-parameter-build"),
        ("register", "before-parameter-build.s3"),
        ("register_last", "before-parameter-build.s3.HeadBucket"),
        ("register_first", "before-parameter-build.s3.*"),
        ("register", "before-parameter-build.*.HeadBucket"),
        ("register_first", "before-parameter-build.s3.HeadBucket"),
        ("register", "before-parameter-build.s3.HeadBucket"),
    ]
    order: dict[str, list[int]] = {"botocore": [], "s3seal": []}
    real = botocore.hooks.HierarchicalEmitter()
    for who, emitter in (("botocore", real), ("s3seal", ms3.meta.events)):
        for i, (how, name) in enumerate(registrations):
            getattr(emitter, how)(name, lambda i=i, who=who, **kw: order[who].append(i))
    real.emit("before-parameter-build.s3.HeadBucket", params={})
    ms3.head_bucket(Bucket=mbucket)
    assert order["s3seal"] == order["botocore"] and len(order["s3seal"]) == len(registrations)


def test_call_events_and_their_arguments(ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, Any]] = []

    def provide(params: dict[str, Any], model: Any, **kw: Any) -> dict[str, Any]:
        seen.append(("provide", model.name))
        return {**params, "Key": "renamed"}

    def before_build(params: dict[str, Any], **kw: Any) -> None:
        seen.append(("build", params["Key"]))
        params["Body"] = b"from the handler"

    def before_call(params: dict[str, Any], model: Any, **kw: Any) -> None:
        seen.append(("call", (params["method"], params["url_path"].endswith("/renamed"))))

    def before_sign(request: Any, operation_name: str, **kw: Any) -> None:
        seen.append(("sign", (operation_name, "authorization" in {k.lower() for k in request.headers})))

    def before_send(request: Any, **kw: Any) -> None:
        seen.append(("send", "authorization" in {k.lower() for k in request.headers}))

    def after(http_response: Any, parsed: dict[str, Any], **kw: Any) -> None:
        seen.append(("after", (http_response.status_code, "ETag" in parsed)))

    events = ms3.meta.events
    for name, fn in [
        ("provide-client-params.s3.PutObject", provide),
        ("before-parameter-build.s3.PutObject", before_build),
        ("before-call.s3.PutObject", before_call),
        ("before-sign.s3.PutObject", before_sign),
        ("before-send.s3.PutObject", before_send),
        ("after-call.s3.PutObject", after),
    ]:
        events.register(name, fn)
    ms3.put_object(Bucket=mbucket, Key="original", Body=b"x")
    assert seen == [
        ("provide", "PutObject"),
        ("build", "renamed"),
        ("call", ("PUT", True)),
        ("sign", ("PutObject", False)),
        ("send", True),
        ("after", (200, True)),
    ]
    assert ms3.get_object(Bucket=mbucket, Key="renamed")["Body"].read() == b"from the handler"


def test_after_call_sees_errors_and_handler_errors_propagate(ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    statuses: list[int] = []
    ms3.meta.events.register(
        "after-call.s3.HeadObject", lambda http_response, **kw: statuses.append(http_response.status_code)
    )
    with pytest.raises(botocore.exceptions.ClientError):
        ms3.head_object(Bucket=mbucket, Key="missing")
    assert statuses == [404]

    class Boom(Exception):
        pass

    def explode(**kw: Any) -> None:
        raise Boom("from a handler")

    ms3.meta.events.register("before-sign.s3.ListObjectsV2", explode)
    with pytest.raises(Boom):
        ms3.list_objects_v2(Bucket=mbucket)


def test_transfer_parts_fire_request_events(ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    ms3.meta.events.register(
        "before-call.s3", lambda params, **kw: calls.append(kw["event_name"].split(".")[-1])
    )
    with tempfile.NamedTemporaryFile() as f:
        f.write(os.urandom(12 * 1024 * 1024))
        f.flush()
        config = s3seal.TransferConfig(
            multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
        )
        ms3.upload_file(f.name, mbucket, "big", Config=config)
    assert calls.count("UploadPart") == 3
    assert calls[0] == "CreateMultipartUpload" and calls[-1] == "CompleteMultipartUpload"


def test_nothing_registered_costs_nothing(ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    handler = lambda **kw: None  # noqa: E731
    assert "_make_api_call" not in vars(ms3)
    ms3.meta.events.register("after-call.s3.HeadBucket", handler)
    assert "_make_api_call" in vars(ms3)
    ms3.meta.events.unregister("after-call.s3.HeadBucket", handler)
    assert "_make_api_call" not in vars(ms3)
    ms3.head_bucket(Bucket=mbucket)


def test_debug_logs_use_botocores_names_and_never_show_a_key(ms3, mbucket, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    kms = "arn:aws:kms:us-east-1:123456789012:key/s3seal-log-test"
    with caplog.at_level(logging.DEBUG, logger="botocore"):
        ms3.put_object(
            Bucket=mbucket, Key="logged", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
        )
        ms3.put_object(Bucket=mbucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms)
        with pytest.raises(botocore.exceptions.ClientError):
            ms3.head_object(Bucket=mbucket, Key="logged")
    names = {r.name for r in caplog.records}
    assert {"botocore.endpoint", "botocore.parsers"} <= names
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "OperationModel(name=PutObject)" in text and "Response status: 400" in text
    for secret in (SSE_KEY_B64, repr(SSE_KEY), kms, SSE_KEY.hex()):
        assert secret not in text


def test_set_stream_logger(capsys) -> None:  # type: ignore[no-untyped-def]
    import logging

    s3seal.set_stream_logger("s3seal-test-logger", logging.INFO, "%(name)s:%(message)s")
    logging.getLogger("s3seal-test-logger").info("hello")
    assert "s3seal-test-logger:hello" in capsys.readouterr().err
