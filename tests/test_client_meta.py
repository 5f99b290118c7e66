"""``client.meta``, ``client.exceptions``, ``close()`` and the context manager: the values
equal real boto3's for the same arguments, the service model matches botocore's."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest
import s3seal

CREDENTIALS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "example-secret"}
CONFIG_FIELDS = (
    "region_name",
    "connect_timeout",
    "read_timeout",
    "max_pool_connections",
    "retries",
    "s3",
    "request_checksum_calculation",
    "response_checksum_validation",
    "signature_version",
)


def meta_view(client: Any) -> dict[str, Any]:
    meta = client.meta
    view = {name: getattr(meta, name) for name in ("region_name", "endpoint_url", "partition")}
    view["config"] = {name: getattr(meta.config, name) for name in CONFIG_FIELDS}
    return view


def pair(**kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """meta as boto3 and as s3seal see it, for the same arguments (Config: botocore's), from
    new sessions (a default session keeps the configuration it read first)."""
    real = boto3.Session().client("s3", **CREDENTIALS, **kwargs)
    ours = s3seal.Session().client("s3", **CREDENTIALS, **kwargs)
    return meta_view(real), meta_view(ours)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"region_name": "us-east-1"},
        {},
        {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:9000"},
        {
            "region_name": "ap-south-1",
            "endpoint_url": "http://localhost:4566",
            "config": botocore.config.Config(
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=7,
                max_pool_connections=20,
                request_checksum_calculation="when_required",
            ),
        },
        {
            "endpoint_url": "https://s3.example.com",
            "config": botocore.config.Config(region_name="ca-central-1", retries={"total_max_attempts": 2}),
        },
        {"region_name": "eu-west-1"},
    ],
)
def test_meta_values_equal_boto3s(kwargs) -> None:  # type: ignore[no-untyped-def]
    real, ours = pair(**kwargs)
    assert ours == real


def test_region_from_the_environment_and_the_profile(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    real, ours = pair()
    assert ours["region_name"] == real["region_name"] == "eu-north-1"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    config = tmp_path / "config"
    config.write_text("[default]\nregion = sa-east-1\n[profile other]\nregion = af-south-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    real, ours = pair()
    assert ours["region_name"] == real["region_name"] == "sa-east-1"
    real_client = boto3.Session(profile_name="other").client("s3", **CREDENTIALS)
    our_client = s3seal.Session(profile_name="other").client("s3", **CREDENTIALS)
    assert our_client.meta.region_name == real_client.meta.region_name == "af-south-1"


@pytest.fixture(scope="module")
def models() -> tuple[Any, Any]:
    # From a new botocore session: botocore edits its cached model in place on an operation's
    # first call (remove_bucket_from_url_paths_from_model); s3seal reports the data files.
    real = botocore.session.get_session().get_service_model("s3")
    ours = s3seal.client("s3", region_name="us-east-1", **CREDENTIALS).meta.service_model
    return real, ours


def test_service_model_facts(models) -> None:  # type: ignore[no-untyped-def]
    real, ours = models
    for name in (
        "service_name",
        "signature_version",
        "api_version",
        "protocol",
        "endpoint_prefix",
        "signing_name",
    ):
        assert getattr(ours, name) == getattr(real, name), name
    assert ours.service_id == real.service_id == "S3"
    assert ours.operation_names == real.operation_names
    assert len(ours.operation_names) == 111
    assert [s.name for s in ours.error_shapes] == [s.name for s in real.error_shapes]
    with pytest.raises(Exception, match="NoSuchOperation"):
        ours.operation_model("NoSuchOperation")


def shape_view(shape: Any, depth: int = 2) -> Any:
    """A shape's structure, a few levels deep: name, type, required and members."""
    if shape is None:
        return None
    view: dict[str, Any] = {"name": shape.name, "type": shape.type_name, "meta": shape.metadata}
    view["serialization"] = shape.serialization
    if depth and shape.type_name == "structure":
        view["required"] = shape.required_members
        view["members"] = {k: shape_view(v, depth - 1) for k, v in shape.members.items()}
    if depth and shape.type_name == "list":
        view["member"] = shape_view(shape.member, depth - 1)
    if depth and shape.type_name == "map":
        view["key"], view["value"] = shape_view(shape.key, depth - 1), shape_view(shape.value, depth - 1)
    return view


def test_every_operation_model_matches_botocores(models) -> None:  # type: ignore[no-untyped-def]
    real, ours = models
    for name in real.operation_names:
        theirs, mine = real.operation_model(name), ours.operation_model(name)
        assert mine.name == theirs.name
        assert mine.http == theirs.http
        assert shape_view(mine.input_shape) == shape_view(theirs.input_shape), name
        assert shape_view(mine.output_shape) == shape_view(theirs.output_shape), name
        assert [s.name for s in mine.error_shapes] == [s.name for s in theirs.error_shapes]
    shape = ours.operation_model("ListObjectsV2").input_shape
    assert shape.required_members == ["Bucket"] and shape.members["MaxKeys"].type_name == "integer"


def test_method_to_api_mapping_and_exceptions(models) -> None:  # type: ignore[no-untyped-def]
    real = boto3.client("s3", region_name="us-east-1", **CREDENTIALS)
    ours = s3seal.client("s3", region_name="us-east-1", **CREDENTIALS)
    assert ours.meta.method_to_api_mapping == real.meta.method_to_api_mapping
    # client.exceptions has a class for every error shape of the model, as boto3's does.
    codes = [s.error_code for s in models[1].error_shapes]
    assert codes and all(issubclass(getattr(ours.exceptions, c), ours.exceptions.ClientError) for c in codes)
    public = {n for n in dir(ours.exceptions) if not n.startswith("_")}
    assert public == {n for n in dir(real.exceptions) if not n.startswith("_")}


def test_meta_is_an_open_object_for_events_later() -> None:
    meta = s3seal.client("s3", region_name="us-east-1", **CREDENTIALS).meta
    meta.events = object()  # the request path's hook registry is attached here, as botocore does
    assert meta.events is not None


def test_close_and_context_manager(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    closed = []
    with s3seal.client("s3", **ministack.client_kwargs()) as s3:
        s3.close = lambda: closed.append(True)  # type: ignore[method-assign]
        s3.put_object(Bucket=mbucket, Key="k", Body=b"x")
    assert closed == [True]
    # botocore's close() leaves the client usable; so does s3seal's.
    s3 = s3seal.client("s3", **ministack.client_kwargs())
    s3.close()
    assert s3.get_object(Bucket=mbucket, Key="k")["Body"].read() == b"x"
    # An exception in the block propagates after close().
    with pytest.raises(s3.exceptions.NoSuchKey), s3seal.client("s3", **ministack.client_kwargs()) as s3:
        s3.get_object(Bucket=mbucket, Key="absent")


WITHOUT_BOTOCORE = """
import sys
sys.modules["botocore"] = sys.modules["boto3"] = None  # importing either now fails
import s3seal

s3 = s3seal.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")  # credentials: env
bucket = sys.argv[2]
for i in range(5):
    s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x")
pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
assert [len(p["Contents"]) for p in pages] == [2, 2, 1], pages
assert list(s3.get_paginator("list_objects").paginate(Bucket=bucket).search("Contents[].Key"))[-1] == "k4"
s3.get_waiter("object_exists").wait(Bucket=bucket, Key="k0")
try:
    s3.get_waiter("object_exists").wait(Bucket=bucket, Key="no", WaiterConfig={"Delay": 0, "MaxAttempts": 1})
except s3seal.exceptions.WaiterError as e:
    assert e.last_response["Error"]["Code"] == "404", e.last_response
else:
    raise AssertionError("no WaiterError")
assert s3.meta.service_model.operation_model("ListParts").input_shape.required_members
assert not any(name.split(".")[0] in ("botocore", "boto3") for name in sys.modules if sys.modules[name])
print("ok")
"""


def test_everything_works_without_botocore(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    kwargs = ministack.client_kwargs()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "AWS_ACCESS_KEY_ID": kwargs["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": kwargs["aws_secret_access_key"],
    }
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_BOTOCORE, kwargs["endpoint_url"], mbucket],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_data_matches_the_installed_botocore() -> None:
    """_data.py is what tools/gen_client_data.py makes from this botocore (regenerate it when
    botocore is upgraded)."""
    import gen_client_data
    from s3seal import _data

    service, pages, waiters = (gen_client_data.load(n) for n in ("service-2", "paginators-1", "waiters-2"))
    assert _data.PAGINATORS == pages["pagination"]
    assert _data.WAITERS == waiters
    assert _data.METADATA == service["metadata"]
    assert _data.OPERATIONS == gen_client_data.operations(service)
    assert _data.SHAPES == {n: gen_client_data.reduce_shape(s) for n, s in service["shapes"].items()}
