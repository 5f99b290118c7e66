"""``client.meta.events``: botocore's names, ordering and arguments, fired for every request
(transfer parts included), handlers that change requests, and no event that never fires."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import boto3.s3.transfer
import botocore.config
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


MIB = 1024 * 1024
# The transfer requests s3transfer makes through the client, and so the events they fire.
TRANSFER_OPS = (
    "PutObject",
    "CreateMultipartUpload",
    "UploadPart",
    "UploadPartCopy",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "HeadObject",
    "GetObject",
    "CopyObject",
)
# Per-request values that differ between two runs (ids, the ETag of random data).
VARYING = ("UploadId", "IfMatch", "MultipartUpload")


def record_transfer_events(client: Any) -> list[tuple[str, Any]]:
    """Register recorders for every event a transfer request fires; what they saw, with
    each parameter-level event's parameters (values that vary from run to run as names)."""
    seen: list[tuple[str, Any]] = []

    def params_of(params: dict[str, Any], event_name: str, **kw: Any) -> None:
        shown = {}
        for k, v in params.items():
            if k == "CopySource" and isinstance(v, dict):
                # botocore's own before-parameter-build handler (registered before any
                # user's) has already made the dict "Bucket/Key" there; s3seal quotes it
                # after the events, for every call alike (a divergence of its own).
                v = f"{v['Bucket']}/{v['Key']}"
            if k == "Body":
                shown[k] = "<body>"
            elif k in VARYING or k.startswith("SSECustomerKey"):
                shown[k] = "<varies>"
            else:
                shown[k] = v
        seen.append((event_name, dict(sorted(shown.items()))))

    def request_level(event_name: str, **kw: Any) -> None:
        seen.append((event_name, None))

    def after(event_name: str, parsed: dict[str, Any], **kw: Any) -> None:
        seen.append((event_name, "ETag" in parsed or "UploadId" in parsed or "ContentLength" in parsed))

    for op in TRANSFER_OPS:
        client.meta.events.register(f"provide-client-params.s3.{op}", params_of)
        client.meta.events.register(f"before-parameter-build.s3.{op}", params_of)
        for event in ("before-call", "before-sign", "before-send"):
            client.meta.events.register(f"{event}.s3.{op}", request_level)
        client.meta.events.register(f"after-call.s3.{op}", after)
    return seen


def canonical(seen: list[tuple[str, Any]]) -> list[str]:
    """The events in a comparable order: parts run concurrently, so sorted."""
    return sorted(f"{name} {value!r}" for name, value in seen)


def test_transfer_requests_fire_every_event_as_boto3s_do(ms3, mboto, mbucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """upload_file (multipart), download_file (ranged), copy (UploadPartCopy) and their
    small single-request forms: the same events, as many times, with the same parameters
    per request as boto3's s3transfer fires them through its client calls."""
    big = tmp_path / "big"
    big.write_bytes(os.urandom(12 * MIB))
    small = tmp_path / "small"
    small.write_bytes(b"small file")
    fired: dict[str, list[str]] = {}
    for name, client, config_class in (
        ("boto3", mboto, boto3.s3.transfer.TransferConfig),
        ("s3seal", ms3, s3seal.TransferConfig),
    ):
        config = config_class(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
        seen = record_transfer_events(client)
        client.upload_file(str(big), mbucket, "big", Config=config, ExtraArgs={"Metadata": {"m": "1"}})
        client.upload_file(str(small), mbucket, "small", Config=config)
        client.download_file(mbucket, "big", str(tmp_path / f"big-{name}"), Config=config)
        client.download_file(mbucket, "small", str(tmp_path / f"small-{name}"), Config=config)
        client.copy({"Bucket": mbucket, "Key": "big"}, mbucket, "big-copy", Config=config)
        client.copy({"Bucket": mbucket, "Key": "small"}, mbucket, "small-copy", Config=config)
        assert (tmp_path / f"big-{name}").read_bytes() == big.read_bytes()
        fired[name] = canonical(seen)
    assert fired["s3seal"] == fired["boto3"]
    names = [line.split(" ")[0] for line in fired["s3seal"]]
    assert names.count("provide-client-params.s3.UploadPart") == 3
    assert names.count("before-parameter-build.s3.GetObject") == 4  # 3 ranges + the small one
    assert names.count("before-call.s3.UploadPart") == 3
    assert names.count("after-call.s3.UploadPartCopy") == 3


def test_a_handler_injecting_sse_c_encrypts_every_transfer_request(  # type: ignore[no-untyped-def]
    ministack, ms3, mboto, mbucket, tmp_path
) -> None:
    """A provide-client-params handler adds the SSE-C key to every request of a multipart
    upload and a ranged download: the object is encrypted with that key (refused without
    it), and reads back through the same handler, as with boto3."""
    data = os.urandom(12 * MIB)
    src = tmp_path / "src"
    src.write_bytes(data)

    def inject(params: dict[str, Any], **kw: Any) -> None:
        params["SSECustomerAlgorithm"] = "AES256"
        params["SSECustomerKey"] = SSE_KEY

    for name, client, config_class in (
        ("boto3", mboto, boto3.s3.transfer.TransferConfig),
        ("s3seal", ms3, s3seal.TransferConfig),
    ):
        config = config_class(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
        parts: list[int] = []

        def part_number(params: dict[str, Any], parts: list[int] = parts, **kw: Any) -> None:
            parts.append(params["PartNumber"])

        client.meta.events.register("before-parameter-build.s3.UploadPart", part_number)
        for op in (
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
            "HeadObject",
            "GetObject",
        ):
            client.meta.events.register(f"provide-client-params.s3.{op}", inject)
        client.upload_file(str(src), mbucket, f"enc-{name}", Config=config)
        assert sorted(parts) == [1, 2, 3]
        client.download_file(mbucket, f"enc-{name}", str(tmp_path / f"back-{name}"), Config=config)
        assert (tmp_path / f"back-{name}").read_bytes() == data
    plain = boto3.client("s3", **ministack.client_kwargs())
    for name in ("boto3", "s3seal"):
        with pytest.raises(botocore.exceptions.ClientError):
            plain.head_object(Bucket=mbucket, Key=f"enc-{name}")
        with pytest.raises(botocore.exceptions.ClientError):
            plain.get_object(Bucket=mbucket, Key=f"enc-{name}", Range="bytes=0-9")
        got = plain.get_object(
            Bucket=mbucket, Key=f"enc-{name}", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
        )
        assert got["Body"].read() == data
        assert got["SSECustomerKeyMD5"] == SSE_KEY_MD5


def test_sse_c_injected_into_every_part_is_encrypted_at_rest_on_garage(garage, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same handler on a multipart upload to Garage: no part is stored in plaintext."""
    s3 = s3seal.client("s3", **garage.client_kwargs())
    bucket = make_bucket(garage)
    marker = b"PART-MARKER-" + os.urandom(8).hex().encode()
    src = tmp_path / "src"
    src.write_bytes(marker * (11 * MIB // len(marker)))

    def inject(params: dict[str, Any], **kw: Any) -> None:
        params["SSECustomerAlgorithm"] = "AES256"
        params["SSECustomerKey"] = SSE_KEY

    for op in ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        s3.meta.events.register(f"provide-client-params.s3.{op}", inject)
    config = s3seal.TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(str(src), bucket, "enc", Config=config)
    stored = b"".join(p.read_bytes() for p in (garage.workdir / "data").rglob("*") if p.is_file())
    assert marker not in stored, "a part the handler meant encrypted is stored in plaintext"
    plain = s3seal.client("s3", **garage.client_kwargs())
    with pytest.raises(botocore.exceptions.ClientError):
        plain.get_object(Bucket=bucket, Key="enc")
    got = plain.get_object(Bucket=bucket, Key="enc", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
    assert got["Body"].read() == src.read_bytes()


def test_transfer_event_handlers_see_errors_and_cannot_replace_the_body(  # type: ignore[no-untyped-def]
    ms3, mboto, mbucket, tmp_path
) -> None:
    statuses: dict[str, list[int]] = {}
    for name, client in (("boto3", mboto), ("s3seal", ms3)):
        statuses[name] = []
        client.meta.events.register(
            "after-call.s3.HeadObject",
            lambda http_response, name=name, **kw: statuses[name].append(http_response.status_code),
        )
        with pytest.raises(botocore.exceptions.ClientError):
            client.download_file(mbucket, "missing", str(tmp_path / "missing"))
    assert statuses["s3seal"] == statuses["boto3"] == [404]

    def replace_body(params: dict[str, Any], **kw: Any) -> None:
        params["Body"] = b"not what the file holds"

    src = tmp_path / "src"
    src.write_bytes(b"what the file holds")
    ms3.meta.events.register("before-parameter-build.s3.PutObject", replace_body)
    with pytest.raises(NotImplementedError, match="replaced the Body"):
        ms3.upload_file(str(src), mbucket, "replaced")
    ms3.meta.events.unregister("before-parameter-build.s3.PutObject", replace_body)
    with pytest.raises(botocore.exceptions.ClientError):
        ms3.head_object(Bucket=mbucket, Key="replaced")


def test_a_transfer_request_that_fails_without_a_response_fires_after_call_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    kwargs = {
        "endpoint_url": url,
        "aws_access_key_id": "k",
        "aws_secret_access_key": "s",
        "region_name": "us-east-1",
    }
    failures: dict[str, list[str]] = {}
    for name, client in (
        ("boto3", boto3.client("s3", config=botocore.config.Config(retries={"max_attempts": 0}), **kwargs)),
        ("s3seal", s3seal.client("s3", config=s3seal.Config(retries={"max_attempts": 0}), **kwargs)),
    ):
        failures[name] = []
        client.meta.events.register(
            "after-call-error.s3.HeadObject",
            lambda exception, name=name, **kw: failures[name].append(type(exception).__name__),
        )
        with pytest.raises(botocore.exceptions.EndpointConnectionError):
            client.download_file("bucket", "key", str(tmp_path / "never"))
    assert failures["s3seal"] == failures["boto3"] == ["EndpointConnectionError"]


def test_transfers_call_no_python_per_request_without_parameter_handlers(  # type: ignore[no-untyped-def]
    ms3, mbucket, tmp_path, monkeypatch
) -> None:
    """With no provide-client-params / before-parameter-build / after-call handler, no
    request of a transfer goes through Python for its parameters (request-level handlers
    alone are called from the engine, and only for their events)."""
    import s3seal.transfer

    def never(*args: Any, **kw: Any) -> None:
        raise AssertionError("a transfer request went through Python with no handler for it")

    monkeypatch.setattr(s3seal.transfer._TransferEvents, "before", never)
    src = tmp_path / "src"
    src.write_bytes(os.urandom(6 * MIB))
    config = s3seal.TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    ms3.upload_file(str(src), mbucket, "k", Config=config)
    calls: list[str] = []
    ms3.meta.events.register("before-call.s3", lambda event_name, **kw: calls.append(event_name))
    ms3.download_file(mbucket, "k", str(tmp_path / "back"), Config=config)
    assert (tmp_path / "back").read_bytes() == src.read_bytes()
    assert calls.count("before-call.s3.GetObject") == 2
    ms3.meta.events.register("after-call.s3.HeadObject", lambda **kw: None)
    with pytest.raises(AssertionError, match="went through Python"):
        ms3.download_file(mbucket, "k", str(tmp_path / "again"), Config=config)


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


def test_debug_logging_follows_each_level_change(ms3, mbucket, caplog) -> None:  # type: ignore[no-untyped-def]
    """The per-call check reads logging's own caches: every change must still be seen."""
    import logging

    def logged_names() -> set[str]:
        caplog.clear()
        ms3.head_bucket(Bucket=mbucket)
        return {r.name for r in caplog.records if r.name.startswith("botocore.")}

    caplog.set_level(logging.INFO, logger="botocore")
    assert logged_names() == set()  # fills the caches with "off"
    caplog.set_level(logging.DEBUG, logger="botocore.parsers")
    assert logged_names() >= {"botocore.parsers"}
    logging.getLogger("botocore.parsers").setLevel(logging.NOTSET)  # inherits INFO again
    assert logged_names() == set()
    caplog.set_level(logging.DEBUG, logger="botocore")
    assert logged_names() >= {"botocore.endpoint", "botocore.parsers"}
    endpoint, parsers = logging.getLogger("botocore.endpoint"), logging.getLogger("botocore.parsers")
    endpoint.disabled = parsers.disabled = True
    try:
        assert logged_names() == set()
    finally:
        endpoint.disabled = parsers.disabled = False
    assert logged_names() >= {"botocore.endpoint"}


def test_set_stream_logger(capsys) -> None:  # type: ignore[no-untyped-def]
    import logging

    s3seal.set_stream_logger("s3seal-test-logger", logging.INFO, "%(name)s:%(message)s")
    logging.getLogger("s3seal-test-logger").info("hello")
    assert "s3seal-test-logger:hello" in capsys.readouterr().err
