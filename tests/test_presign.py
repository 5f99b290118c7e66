"""Presigned URLs and POSTs, used with plain urllib as a browser or curl would: on Garage,
which checks SigV4 signatures, and beside boto3's on ministack."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
import s3seal
from conftest import SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5, make_bucket

SSEC_HEADERS = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": SSE_KEY_B64,
    "x-amz-server-side-encryption-customer-key-MD5": SSE_KEY_MD5,
}


def fetch(
    url: str, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture
def gclient(garage):  # type: ignore[no-untyped-def]
    return s3seal.client("s3", **garage.client_kwargs()), make_bucket(garage)


def test_presigned_get_and_put_work_and_are_really_signed(gclient) -> None:  # type: ignore[no-untyped-def]
    s3, bucket = gclient
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p/a b"}, ExpiresIn=60)
    assert fetch(put, "PUT", b"presigned body")[0] == 200
    get = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p/a b"})
    assert fetch(get) == (200, b"presigned body")
    assert "X-Amz-Expires=3600" in get and "X-Amz-Signature=" in get
    # Garage checks the signature: another key, or a changed expiry, is refused.
    assert fetch(get.replace("p/a%20b", "p/other"))[0] == 403
    assert fetch(get.replace("X-Amz-Expires=3600", "X-Amz-Expires=3601"))[0] == 403


def test_sse_c_parameters_become_signed_headers_never_query(gclient) -> None:  # type: ignore[no-untyped-def]
    s3, bucket = gclient
    ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
    s3.put_object(Bucket=bucket, Key="enc", Body=b"secret data", **ssec)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "enc", **ssec})
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert SSE_KEY_B64 not in url and urllib.parse.quote(SSE_KEY_B64, safe="") not in url
    assert "x-amz-server-side-encryption-customer-key" in query["X-Amz-SignedHeaders"][0]
    assert fetch(url, headers=SSEC_HEADERS) == (200, b"secret data")
    # Without the headers it signed, the URL is refused.
    assert fetch(url)[0] in (400, 403)


def test_presigned_post_uploads_with_a_form(gclient) -> None:  # type: ignore[no-untyped-def]
    s3, bucket = gclient
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"Content-Type": "text/plain"},
        Conditions=[{"Content-Type": "text/plain"}, ["content-length-range", 1, 100]],
        ExpiresIn=300,
    )
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in post["fields"].items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="hello.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nhello form\r\n".encode()
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    status, answer = fetch(
        post["url"], "POST", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert status in (200, 204), answer
    got = s3.get_object(Bucket=bucket, Key="uploads/hello.txt")
    assert got["Body"].read() == b"hello form"
    assert got["ContentType"] == "text/plain"


def test_urls_have_boto3s_shape(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    """s3seal always presigns with SigV4 (botocore still picks SigV2 query auth for some
    configurations, e.g. us-east-1 with a custom endpoint): compared with boto3's s3v4."""
    kwargs = ministack.client_kwargs()
    v4 = botocore.config.Config(signature_version="s3v4")
    real, ours = boto3.client("s3", config=v4, **kwargs), s3seal.client("s3", **kwargs)
    key = {"Bucket": mbucket, "Key": "a key/é+x"}
    cases: list[tuple[str, dict[str, Any]]] = [
        ("get_object", {**key, "VersionId": "v1", "ResponseContentType": "x/y", "Range": "bytes=0-1"}),
        ("put_object", {**key, "ContentType": "text/plain", "Metadata": {"a": "1"}}),
        ("head_object", key),
        ("delete_object", {**key, "VersionId": "v1"}),
        ("list_objects_v2", {"Bucket": mbucket, "Prefix": "p/", "MaxKeys": 5}),
        ("get_bucket_tagging", {"Bucket": mbucket}),
    ]
    volatile = {"X-Amz-Date", "X-Amz-Signature", "X-Amz-Credential"}
    for method, params in cases:
        a = urllib.parse.urlsplit(real.generate_presigned_url(method, Params=params, ExpiresIn=99))
        b = urllib.parse.urlsplit(ours.generate_presigned_url(method, Params=params, ExpiresIn=99))
        assert (b.scheme, b.netloc, b.path) == (a.scheme, a.netloc, a.path), method
        qa = {k: v for k, v in urllib.parse.parse_qs(a.query).items() if k not in volatile}
        qb = {k: v for k, v in urllib.parse.parse_qs(b.query).items() if k not in volatile}
        assert qb == qa, method


def test_errors_match_boto3(ministack) -> None:  # type: ignore[no-untyped-def]
    kwargs = ministack.client_kwargs()
    real, ours = boto3.client("s3", **kwargs), s3seal.client("s3", **kwargs)
    for client in (real, ours):
        with pytest.raises(
            botocore.exceptions.UnknownClientMethodError, match="Client does not have method: nope"
        ):
            client.generate_presigned_url("nope")
        with pytest.raises(
            botocore.exceptions.ParamValidationError, match='Missing required parameter in input: "Key"'
        ):
            client.generate_presigned_url("get_object", Params={"Bucket": "b"})
