"""SSE-C, SSE-KMS and SSE-S3 through the resource API, compared with boto3's on ministack, and
SSE-C written through ``Object.put`` encrypted at rest on Garage. No key is ever kept on a
resource object."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import s3seal
from conftest import OTHER_KEY, SSE_KEY, SSE_KEY_MD5, make_bucket

SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
NEW_KEY = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": OTHER_KEY}
KMS = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/s3seal-test-kms-key"}
KEY_FORMS = (SSE_KEY, base64.b64encode(SSE_KEY), OTHER_KEY, base64.b64encode(OTHER_KEY))


def _error(call: Any) -> Any:
    try:
        call()
    except Exception as e:  # compared across SDKs
        return type(e).__name__, e.response["Error"]["Code"]  # type: ignore[attr-defined]
    return "ok"


def _assert_no_key_kept(*resources: Any) -> None:
    """Neither the resource's state nor its meta (data included) nor its repr holds a key."""
    for resource in resources:
        state = repr(vars(resource)) + repr(vars(resource.meta)) + repr(resource)
        for key in KEY_FORMS:
            assert key.decode("latin-1") not in state and repr(key) not in state


def _sse_script(s3: Any, name: str, tmp: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    bucket = s3.Bucket(name)
    bucket.create()
    obj = bucket.Object("c")
    put = obj.put(Body=b"customer-encrypted", **SSEC)
    seen["put"] = (put["SSECustomerAlgorithm"], put["SSECustomerKeyMD5"] == SSE_KEY_MD5)
    got = obj.get(**SSEC)
    seen["get"] = (got["Body"].read(), got["SSECustomerKeyMD5"] == SSE_KEY_MD5)
    seen["get_without_key"] = _error(obj.get)
    seen["get_wrong_key"] = _error(lambda: obj.get(**NEW_KEY))
    # Attributes load through head_object, which cannot be given the key: S3 answers 400.
    seen["lazy_attribute"] = _error(lambda: obj.content_length)
    obj.load(**SSEC)  # boto3 forwards load()'s keyword arguments to head_object
    seen["loaded"] = (obj.content_length, obj.sse_customer_algorithm, obj.sse_customer_key_md5 == SSE_KEY_MD5)
    seen["summary"] = [(o.key, o.size) for o in bucket.objects.all()]
    rotated = bucket.Object("rotated")
    rotated.copy_from(
        CopySource={"Bucket": name, "Key": "c"},
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=SSE_KEY,
        **NEW_KEY,
    )
    seen["rotated"] = rotated.get(**NEW_KEY)["Body"].read()
    source = tmp / "in.bin"
    source.write_bytes(os.urandom(1000) + b"file")
    bucket.Object("f").upload_file(str(source), ExtraArgs=SSEC)
    bucket.download_file("f", str(tmp / "out.bin"), ExtraArgs=SSEC)
    seen["upload_file"] = (tmp / "out.bin").read_bytes() == source.read_bytes()
    upload = bucket.Object("mp").initiate_multipart_upload(**SSEC)
    etag = upload.Part(1).upload(Body=b"multipart", **SSEC)["ETag"]
    done = upload.complete(MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]}, **SSEC)
    seen["multipart"] = done.get(**SSEC)["Body"].read()
    kms = bucket.Object("kms")
    kms.put(Body=b"kms", **KMS)
    seen["kms"] = (kms.server_side_encryption, kms.ssekms_key_id, kms.get()["Body"].read())
    bucket.upload_file(str(source), "s3", ExtraArgs={"ServerSideEncryption": "AES256"})
    seen["sse_s3"] = bucket.Object("s3").server_side_encryption
    _assert_no_key_kept(obj, rotated, upload, done, bucket, s3)
    return seen


def test_sse_through_resources_matches_boto3(ministack, tmp_path: Path) -> None:
    results = []
    for sdk in (boto3, s3seal):
        (tmp_path / sdk.__name__).mkdir()
        s3 = sdk.resource("s3", **ministack.client_kwargs())
        results.append(_sse_script(s3, f"r-{uuid.uuid4().hex[:12]}", tmp_path / sdk.__name__))
    assert results[1] == results[0]
    ours = results[1]
    assert ours["get"] == (b"customer-encrypted", True) and ours["lazy_attribute"] == ("ClientError", "400")
    assert ours["get_without_key"] == ("InvalidRequest", "InvalidRequest")
    assert ours["kms"] == ("aws:kms", "alias/s3seal-test-kms-key", b"kms") and ours["sse_s3"] == "AES256"


def test_sse_c_object_put_is_encrypted_at_rest_on_garage(garage) -> None:
    s3 = s3seal.resource("s3", **garage.client_kwargs())
    bucket = s3.Bucket(make_bucket(garage))
    marker = b"RESOURCE-PLAINTEXT-" + os.urandom(8).hex().encode()
    bucket.Object("enc").put(Body=marker * 100, **SSEC)
    bucket.Object("plain").put(Body=b"CONTROL-" + marker * 100)
    assert bucket.Object("enc").get(**SSEC)["Body"].read() == marker * 100
    stored = b"".join(p.read_bytes() for p in (garage.workdir / "data").rglob("*") if p.is_file())
    assert b"CONTROL-" + marker in stored, "the control object should be stored in plaintext"
    assert stored.count(marker) == stored.count(b"CONTROL-" + marker) * 100, "SSE-C data found in plaintext"


@pytest.mark.parametrize("sdk", [boto3, s3seal], ids=["boto3", "s3seal"])
def test_resource_repr_and_state_never_show_a_key(ministack, sdk: Any) -> None:
    s3 = sdk.resource("s3", **ministack.client_kwargs())
    bucket = s3.Bucket(make_bucket(ministack))
    obj = bucket.put_object(Key="k", Body=b"x", **SSEC)
    obj.get(**SSEC)
    _assert_no_key_kept(obj, bucket)
    assert repr(obj) == f"s3.Object(bucket_name='{bucket.name}', key='k')"
