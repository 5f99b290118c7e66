"""Anonymous clients, ``Config(signature_version=UNSIGNED)``, beside boto3's on the same
servers: ministack serves anonymous requests (it checks no signature), Garage refuses them
(it has no bucket policies; anonymous reads exist only on its website endpoint). What went
on the wire is read from a recording proxy in front of the server."""

from __future__ import annotations

import json
import os
import pickle
import re
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.config
import botocore.exceptions
import pytest
import s3seal
from conftest import make_bucket
from faults import FaultProxy

# What a SigV4 signature adds to a request, none of which botocore sends unsigned.
SIGNING_HEADERS = {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}

_REQUEST_HEAD = re.compile(rb"(GET|PUT|POST|HEAD|DELETE) (\S+) HTTP/1\.1\r\n(.*?)\r\n\r\n", re.DOTALL)


def request_heads(sent: bytes) -> list[tuple[str, str, dict[str, str]]]:
    """``(method, target, headers)`` of each request in a recorded client stream (header
    names lower-cased). The bodies the tests send hold no request line."""
    heads = []
    for m in _REQUEST_HEAD.finditer(sent):
        headers = {}
        for line in m.group(3).split(b"\r\n"):
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
        heads.append((m.group(1).decode(), m.group(2).decode(), headers))
    return heads


def anonymous(module: Any, url: str, **kwargs: Any) -> Any:
    config = botocore.config.Config(signature_version=botocore.UNSIGNED)
    return module.client("s3", endpoint_url=url, region_name="us-east-1", config=config, **kwargs)


def outcome(call: Any) -> tuple[str, Any]:
    """A call's result as compared across the two libraries: what it returned (without the
    request-specific metadata), or the error code and HTTP status it raised."""
    try:
        result = call()
    except botocore.exceptions.ClientError as e:
        return "error", (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
    result.pop("ResponseMetadata", None)
    if "Body" in result:
        result["Body"] = result["Body"].read()
    result.pop("LastModified", None)  # ministack's sub-second part differs between reads
    if "Contents" in result:
        result["Contents"] = sorted(o["Key"] for o in result["Contents"])
    return "ok", result


def scenario(s3: Any, bucket: str, key: str, new_key: str) -> list[tuple[str, tuple[str, Any]]]:
    return [
        ("get_object", outcome(lambda: s3.get_object(Bucket=bucket, Key=key))),
        ("head_object", outcome(lambda: s3.head_object(Bucket=bucket, Key=key))),
        ("list_objects_v2", outcome(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=key))),
        ("put_object", outcome(lambda: s3.put_object(Bucket=bucket, Key=new_key, Body=b"anonymous"))),
        ("get_missing", outcome(lambda: s3.get_object(Bucket=bucket, Key=key + "-missing"))),
        ("get_object_range", outcome(lambda: s3.get_object(Bucket=bucket, Key=key, Range="bytes=1-3"))),
    ]


def test_anonymous_calls_have_boto3s_outcome_on_each_server(server, bucket) -> None:  # type: ignore[no-untyped-def]
    signed = boto3.client("s3", **server.client_kwargs())
    key = f"public/{uuid.uuid4().hex}"
    signed.put_object(Bucket=bucket, Key=key, Body=b"public data")
    new_key = f"uploads/{uuid.uuid4().hex}"  # outside the listed prefix
    theirs = scenario(anonymous(boto3, server.url), bucket, key, new_key)
    ours = scenario(anonymous(s3seal, server.url), bucket, key, new_key)
    assert ours == theirs
    # Each server's own answer, so that the comparison above covers both outcomes.
    results = dict(ours)
    if server.name == "ministack":
        assert results.pop("get_missing") == ("error", ("NoSuchKey", 404))
        assert {kind for kind, _ in results.values()} == {"ok"}
        assert results["get_object"][1]["Body"] == b"public data"
    else:
        assert {kind for kind, _ in results.values()} == {"error"}
        assert results["get_object"][1] == ("AccessDenied", 403)


def test_nothing_is_signed_on_the_wire(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    key = f"k/{uuid.uuid4().hex}"
    creds = {"aws_access_key_id": ministack.access_key, "aws_secret_access_key": ministack.secret_key}
    with FaultProxy(ministack.port) as proxy:
        for module in (boto3, s3seal):
            proxy.sent.clear()
            # Keys given as well: an anonymous client ignores them, as botocore's does.
            s3 = anonymous(module, proxy.url, **creds)
            s3.put_object(Bucket=mbucket, Key=key, Body=b"x" * 100)
            assert s3.get_object(Bucket=mbucket, Key=key)["Body"].read() == b"x" * 100
            s3.list_objects_v2(Bucket=mbucket)
            s3.head_object(Bucket=mbucket, Key=key)
            heads = request_heads(bytes(proxy.sent))
            assert [(m, t.split("?")[0]) for m, t, _ in heads] == [
                ("PUT", f"/{mbucket}/{key}"),
                ("GET", f"/{mbucket}/{key}"),
                ("GET", f"/{mbucket}"),
                ("HEAD", f"/{mbucket}/{key}"),
            ], module.__name__
            for method, target, headers in heads:
                assert not SIGNING_HEADERS & set(headers), (module.__name__, method, target, headers)
        # The control: the same proxy sees a signed client's signatures.
        proxy.sent.clear()
        s3seal.client("s3", endpoint_url=proxy.url, region_name="us-east-1", **creds).head_object(
            Bucket=mbucket, Key=key
        )
        ((_, _, headers),) = request_heads(bytes(proxy.sent))
        assert SIGNING_HEADERS - {"x-amz-security-token"} <= set(headers)


def test_no_credentials_are_needed(ministack, mbucket, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """conftest leaves no credentials anywhere: a signed client cannot call, an anonymous one can."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    for module, missing in (
        (boto3, botocore.exceptions.NoCredentialsError),
        (s3seal, s3seal.exceptions.NoCredentialsError),
    ):
        signed = module.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
        with pytest.raises(missing):
            signed.list_objects_v2(Bucket=mbucket)
        listing = anonymous(module, ministack.url).list_objects_v2(Bucket=mbucket)
        assert listing["Name"] == mbucket
    # The session's chain too: a profile-less, credential-less Session makes anonymous clients.
    session = s3seal.Session()
    assert session.get_credentials() is None
    s3 = session.client(
        "s3", endpoint_url=ministack.url, config=s3seal.Config(signature_version=s3seal.UNSIGNED)
    )
    assert s3.list_objects_v2(Bucket=mbucket)["KeyCount"] == 0


def test_managed_transfers_stay_unsigned(ministack, mbucket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(11 * 1024 * 1024)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    config = s3seal.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    with FaultProxy(ministack.port) as proxy:
        s3 = anonymous(s3seal, proxy.url)
        s3.upload_file(str(source), mbucket, "big.bin", Config=config)
        s3.download_file(mbucket, "big.bin", str(tmp_path / "back.bin"), Config=config)
        heads = request_heads(bytes(proxy.sent))
    assert (tmp_path / "back.bin").read_bytes() == data
    query = [(m, sorted(p.split("=")[0] for p in t.partition("?")[2].split("&"))) for m, t, _ in heads]
    # A multipart upload (create, 3 parts, complete), then a HEAD and ranged GETs.
    assert query[:5] == [
        ("POST", ["uploads"]),
        *[("PUT", ["partNumber", "uploadId"])] * 3,
        ("POST", ["uploadId"]),
    ]
    assert sum(1 for m, _, h in heads if m == "GET" and "range" in h) >= 2
    for method, target, headers in heads:
        assert not SIGNING_HEADERS & set(headers), (method, target, headers)
    # boto3's anonymous client reads back the same object.
    got = anonymous(boto3, ministack.url).get_object(Bucket=mbucket, Key="big.bin")["Body"].read()
    assert got == data


def test_presigned_urls_are_boto3s_plain_urls(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = anonymous(s3seal, ministack.url), anonymous(boto3, ministack.url)
    boto3.client("s3", **ministack.client_kwargs()).put_object(Bucket=mbucket, Key="a b+c", Body=b"shared")
    cases: list[tuple[str, dict[str, Any], str | None]] = [
        ("get_object", {"Bucket": mbucket, "Key": "a b+c"}, None),
        ("put_object", {"Bucket": mbucket, "Key": "up", "ContentType": "text/plain"}, None),
        ("list_objects_v2", {"Bucket": mbucket, "Prefix": "a"}, None),
        ("get_bucket_location", {"Bucket": mbucket}, None),
        ("get_object", {"Bucket": mbucket, "Key": "k", "VersionId": "v/1"}, "HEAD"),
    ]
    for method, params, http_method in cases:
        url = ours.generate_presigned_url(method, Params=params, ExpiresIn=60, HttpMethod=http_method)
        assert url == theirs.generate_presigned_url(
            method, Params=params, ExpiresIn=60, HttpMethod=http_method
        )
        assert "X-Amz-" not in url and "Signature" not in url
    url = ours.generate_presigned_url("get_object", Params={"Bucket": mbucket, "Key": "a b+c"})
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"shared"


def test_presigned_posts_are_boto3s(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = anonymous(s3seal, ministack.url), anonymous(boto3, ministack.url)
    for key, fields, conditions in [
        ("k", None, None),
        (
            "uploads/${filename}",
            {"acl": "public-read"},
            [{"acl": "public-read"}, ["content-length-range", 1, 9]],
        ),
    ]:
        post = ours.generate_presigned_post(mbucket, key, Fields=fields, Conditions=conditions)
        assert post == theirs.generate_presigned_post(mbucket, key, Fields=fields, Conditions=conditions)
        assert "policy" not in post["fields"] and "x-amz-signature" not in post["fields"]


def test_config_reads_back_as_botocores(ministack) -> None:  # type: ignore[no-untyped-def]
    assert s3seal.UNSIGNED is botocore.UNSIGNED
    assert anonymous(boto3, ministack.url).meta.config.signature_version is botocore.UNSIGNED
    for config in (
        botocore.config.Config(signature_version=botocore.UNSIGNED),
        s3seal.Config(signature_version=s3seal.UNSIGNED),
    ):
        ours = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1", config=config)
        assert ours.meta.config.signature_version is botocore.UNSIGNED
    signed = s3seal.client("s3", **ministack.client_kwargs())
    assert (
        signed.meta.config.signature_version
        == boto3.client("s3", **ministack.client_kwargs()).meta.config.signature_version
    )


def test_before_sign_is_told_unsigned(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, list[Any]] = {"boto3": [], "s3seal": []}
    for module in (boto3, s3seal):
        s3 = anonymous(module, ministack.url)
        s3.meta.events.register(
            "before-sign.s3.ListObjectsV2",
            lambda signature_version, name=module.__name__, **kw: seen[name].append(signature_version),
        )
        s3.list_objects_v2(Bucket=mbucket)
    assert seen["s3seal"] == seen["boto3"] == [botocore.UNSIGNED]


def test_an_anonymous_client_pickles_as_one(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    s3 = pickle.loads(pickle.dumps(anonymous(s3seal, ministack.url)))
    assert s3.meta.config.signature_version is botocore.UNSIGNED
    assert s3.list_objects_v2(Bucket=mbucket)["Name"] == mbucket


def test_refused_transfers_fail_as_boto3s(garage, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Garage checks every signature: an anonymous upload_file fails there as boto3's does."""
    bucket = make_bucket(garage)
    source = tmp_path / "f.bin"
    source.write_bytes(b"z" * 1000)
    messages = []
    for module in (boto3, s3seal):
        with pytest.raises(Exception) as e:
            anonymous(module, garage.url).upload_file(str(source), bucket, "f.bin")
        messages.append((type(e.value).__name__, str(e.value)))
    assert messages[0] == messages[1]
    assert "AccessDenied" in messages[0][1]


def test_the_async_client_is_anonymous_too(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    import s3seal.aio

    async def main() -> tuple[bytes, list[tuple[str, str, dict[str, str]]]]:
        config = s3seal.Config(signature_version=s3seal.UNSIGNED)
        with FaultProxy(ministack.port) as proxy:
            async with s3seal.aio.Session().client("s3", endpoint_url=proxy.url, config=config) as s3:
                await s3.put_object(Bucket=mbucket, Key="async", Body=b"async data")
                body = await (await s3.get_object(Bucket=mbucket, Key="async"))["Body"].read()
            return body, request_heads(bytes(proxy.sent))

    body, heads = asyncio.run(main())
    assert body == b"async data"
    assert [m for m, _, _ in heads] == ["PUT", "GET"]
    for method, target, headers in heads:
        assert not SIGNING_HEADERS & set(headers), (method, target, headers)


def test_cli_no_sign_request_matches_the_aws_cli(server, bucket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``--no-sign-request`` with no credentials anywhere: the AWS CLI's outcome (ministack
    lists, Garage refuses with the same message)."""
    from cli_helpers import ROOT, normalized, run

    boto3.client("s3", **server.client_kwargs()).put_object(Bucket=bucket, Key="cli/k", Body=b"cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k.endswith("_FILE")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1", PYTHONPATH=str(ROOT / "python")
    )
    args = ["--endpoint-url", server.url, "s3api", "list-objects-v2", "--bucket", bucket]
    aws, ours = (run(tool, ["--no-sign-request", *args], env, tmp_path) for tool in ("aws", "s3seal"))
    if server.name == "ministack":
        assert (aws.rc, ours.rc) == (0, 0), (aws.err, ours.err)
        assert normalized(ours.out) == normalized(aws.out)
        assert [o["Key"] for o in json.loads(ours.out)["Contents"]] == ["cli/k"]
    else:
        assert aws.rc != 0 and ours.rc == 254
        assert ours.last_err() == aws.last_err()
        assert "AccessDenied" in ours.last_err()
    # The control: without the flag there is nothing to sign with.
    unsigned_only = run("s3seal", args, env, tmp_path)
    assert unsigned_only.rc == 253 and "Unable to locate credentials" in unsigned_only.err
