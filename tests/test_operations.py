"""Every operation of the model, through the one dispatch: the same scenarios run through
real boto3 and through s3seal against the same ministack, step by step, and the response
dicts (minus ids and dates) and exceptions must match. Each library works in a bucket of
its own, so that the scenarios' writes cannot meet."""

from __future__ import annotations

import gzip
import json
import os
import re
import uuid
from typing import Any

import boto3
import botocore
import pytest
import s3seal
from s3seal import _ops
from test_parity import outcome

Steps = list[tuple[str, dict[str, Any]]]

KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/s3seal-test"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ],
    }
)

SCENARIOS: dict[str, Steps] = {
    "bucket encryption SSE-S3": [
        (
            "put_bucket_encryption",
            {
                "ServerSideEncryptionConfiguration": {
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                }
            },
        ),
        ("get_bucket_encryption", {}),
        ("put_object", {"Key": "default-enc", "Body": b"x"}),
        ("head_object", {"Key": "default-enc"}),
        ("delete_bucket_encryption", {}),
        ("get_bucket_encryption", {}),
    ],
    "bucket encryption SSE-KMS with a bucket key": [
        (
            "put_bucket_encryption",
            {
                "ServerSideEncryptionConfiguration": {
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": KMS_KEY,
                            },
                            "BucketKeyEnabled": True,
                        }
                    ]
                }
            },
        ),
        ("get_bucket_encryption", {}),
    ],
    "bucket encryption blocking SSE-C": [
        (
            "put_bucket_encryption",
            {
                "ServerSideEncryptionConfiguration": {
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
                        }
                    ]
                }
            },
        ),
        ("get_bucket_encryption", {}),
        (
            "put_object",
            {
                "Key": "blocked",
                "Body": b"x",
                "SSECustomerAlgorithm": "AES256",
                "SSECustomerKey": b"k" * 32,
            },
        ),
    ],
    "bucket tagging": [
        ("get_bucket_tagging", {}),
        (
            "put_bucket_tagging",
            {"Tagging": {"TagSet": [{"Key": "team", "Value": "a b&c"}, {"Key": "x", "Value": ""}]}},
        ),
        ("get_bucket_tagging", {}),
        ("delete_bucket_tagging", {}),
        ("get_bucket_tagging", {}),
    ],
    "object tagging": [
        ("put_object", {"Key": "tagged", "Body": b"x", "Tagging": "a=1&b=2"}),
        ("get_object_tagging", {"Key": "tagged"}),
        ("put_object_tagging", {"Key": "tagged", "Tagging": {"TagSet": [{"Key": "c", "Value": "3"}]}}),
        ("get_object_tagging", {"Key": "tagged"}),
        ("delete_object_tagging", {"Key": "tagged"}),
        ("get_object_tagging", {"Key": "tagged"}),
        ("get_object_tagging", {"Key": "missing"}),
    ],
    "versioning and versions": [
        ("get_bucket_versioning", {}),
        ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
        ("get_bucket_versioning", {}),
        ("put_object", {"Key": "v/one", "Body": b"1"}),
        ("put_object", {"Key": "v/one", "Body": b"22"}),
        ("put_object", {"Key": "v/a key+with%odd&chars é", "Body": b"3"}),
        ("delete_object", {"Key": "v/one"}),
        ("list_object_versions", {}),
        ("list_object_versions", {"Prefix": "v/", "Delimiter": "/"}),
        ("list_object_versions", {"MaxKeys": 1}),
        ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Suspended"}}),
        ("get_bucket_versioning", {}),
    ],
    "list_objects (v1)": [
        ("put_object", {"Key": "l/a", "Body": b"1"}),
        ("put_object", {"Key": "l/b c", "Body": b"2"}),
        ("put_object", {"Key": "l/d/e", "Body": b"3"}),
        ("put_object", {"Key": "top", "Body": b"4"}),
        ("list_objects", {}),
        ("list_objects", {"Prefix": "l/", "Delimiter": "/"}),
        ("list_objects", {"MaxKeys": 2}),
        ("list_objects", {"Marker": "l/b c"}),
        ("list_objects", {"EncodingType": "url"}),
    ],
    "CORS": [
        ("get_bucket_cors", {}),
        (
            "put_bucket_cors",
            {
                "CORSConfiguration": {
                    "CORSRules": [
                        {
                            "ID": "r1",
                            "AllowedHeaders": ["*"],
                            "AllowedMethods": ["GET", "PUT"],
                            "AllowedOrigins": ["https://example.com", "https://b.example.com"],
                            "ExposeHeaders": ["ETag"],
                            "MaxAgeSeconds": 3000,
                        }
                    ]
                }
            },
        ),
        ("get_bucket_cors", {}),
        ("delete_bucket_cors", {}),
        ("get_bucket_cors", {}),
    ],
    "policy": [
        ("get_bucket_policy", {}),
        ("put_bucket_policy", {"Policy": POLICY}),
        ("get_bucket_policy", {}),
        ("get_bucket_policy_status", {}),
        ("delete_bucket_policy", {}),
        ("get_bucket_policy", {}),
    ],
    "website": [
        ("get_bucket_website", {}),
        (
            "put_bucket_website",
            {
                "WebsiteConfiguration": {
                    "IndexDocument": {"Suffix": "index.html"},
                    "ErrorDocument": {"Key": "error.html"},
                }
            },
        ),
        ("get_bucket_website", {}),
        ("delete_bucket_website", {}),
        ("get_bucket_website", {}),
    ],
    "ACL": [
        ("get_bucket_acl", {}),
        ("put_bucket_acl", {"ACL": "public-read"}),
        ("get_bucket_acl", {}),
        ("put_object", {"Key": "acl", "Body": b"x"}),
        ("get_object_acl", {"Key": "acl"}),
        ("put_object_acl", {"Key": "acl", "ACL": "private"}),
        ("get_object_acl", {"Key": "acl"}),
    ],
    "lifecycle": [
        ("get_bucket_lifecycle_configuration", {}),
        (
            "put_bucket_lifecycle_configuration",
            {
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "ID": "expire-tmp",
                            "Status": "Enabled",
                            "Filter": {"Prefix": "tmp/"},
                            "Expiration": {"Days": 3},
                        },
                        {
                            "ID": "tagged",
                            "Status": "Disabled",
                            "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "k", "Value": "v"}]}},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        },
                    ]
                }
            },
        ),
        ("get_bucket_lifecycle_configuration", {}),
        ("delete_bucket_lifecycle", {}),
        ("get_bucket_lifecycle_configuration", {}),
    ],
    "location, listing buckets, attributes, restore": [
        ("get_bucket_location", {}),
        ("put_object", {"Key": "attrs", "Body": b"hello", "ChecksumAlgorithm": "CRC32"}),
        (
            "get_object_attributes",
            {"Key": "attrs", "ObjectAttributes": ["ETag", "ObjectSize", "StorageClass", "Checksum"]},
        ),
        ("get_object_attributes", {"Key": "missing", "ObjectAttributes": ["ETag"]}),
        ("restore_object", {"Key": "attrs", "RestoreRequest": {"Days": 1}}),
    ],
    "public access block and ownership": [
        ("get_public_access_block", {}),
        (
            "put_public_access_block",
            {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": False,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": False,
                }
            },
        ),
        ("get_public_access_block", {}),
        ("delete_public_access_block", {}),
        (
            "put_bucket_ownership_controls",
            {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
        ),
        ("get_bucket_ownership_controls", {}),
        ("delete_bucket_ownership_controls", {}),
    ],
    "request payment, accelerate, logging, notifications": [
        ("get_bucket_request_payment", {}),
        ("put_bucket_request_payment", {"RequestPaymentConfiguration": {"Payer": "Requester"}}),
        ("get_bucket_request_payment", {}),
        ("get_bucket_accelerate_configuration", {}),
        ("get_bucket_logging", {}),
        ("get_bucket_notification_configuration", {}),
        ("put_bucket_notification_configuration", {"NotificationConfiguration": {}}),
    ],
    "client-side validation": [
        ("get_bucket_tagging", {"Unknown": 1}),
        ("put_bucket_tagging", {}),
        ("put_bucket_tagging", {"Tagging": {"TagSet": [{"Key": 1}]}}),
        ("put_bucket_versioning", {"VersioningConfiguration": "Enabled"}),
        ("list_objects", {"MaxKeys": "10"}),
    ],
}


def run_steps(client: Any, bucket: str, steps: Steps) -> list[Any]:
    results = []
    for method, kwargs in steps:
        args = {"Bucket": bucket, **kwargs}
        results.append((method, outcome(getattr(client, method), **args)))
    return results


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def blank_bucket(value: Any, bucket: str) -> str:
    """The representation with what differs between the two runs blanked: the bucket's
    name, version ids and upload ids."""
    return UUID.sub("<id>", repr(value).replace(bucket, "<bucket>"))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_scenario_matches_boto3(scenario: str, ministack) -> None:  # type: ignore[no-untyped-def]
    kwargs = ministack.client_kwargs()
    real, ours = boto3.client("s3", **kwargs), s3seal.client("s3", **kwargs)
    buckets = [f"ops-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for b in buckets:
        real.create_bucket(Bucket=b)
    expected = run_steps(real, buckets[0], SCENARIOS[scenario])
    got = run_steps(ours, buckets[1], SCENARIOS[scenario])
    for want, have in zip(expected, got, strict=True):
        assert blank_bucket(have, buckets[1]) == blank_bucket(want, buckets[0])


def test_list_buckets_and_missing_buckets_match_boto3(ministack) -> None:  # type: ignore[no-untyped-def]
    kwargs = ministack.client_kwargs()
    real, ours = boto3.client("s3", **kwargs), s3seal.client("s3", **kwargs)
    assert outcome(ours.list_buckets) == outcome(real.list_buckets)
    assert outcome(ours.list_buckets, MaxBuckets=1) == outcome(real.list_buckets, MaxBuckets=1)
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    for method in ("get_bucket_tagging", "list_objects", "get_bucket_encryption"):
        assert outcome(getattr(ours, method), Bucket=missing) == outcome(
            getattr(real, method), Bucket=missing
        )
    # botocore's after-call handler for GetBucketLocation also runs on errors and adds the
    # <Error> element's text as a top-level 'LocationConstraint': None; s3seal does not.
    expected = outcome(real.get_bucket_location, Bucket=missing)
    expected[1][1].pop("LocationConstraint")
    assert outcome(ours.get_bucket_location, Bucket=missing) == expected


def test_modeled_exceptions_from_model_driven_operations(ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ms3.exceptions.NoSuchBucket):
        ms3.list_objects(Bucket=f"missing-{uuid.uuid4().hex[:8]}")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ms3.get_bucket_tagging(Bucket=mbucket)
    assert e.value.operation_name == "GetBucketTagging"
    with pytest.raises(TypeError, match="only accepts keyword arguments"):
        ms3.get_bucket_tagging(mbucket)


def test_operation_methods_run_whatever_make_api_call_is(ministack, ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    """The operation methods are native (src/methods.rs) and skip ``_make_api_call`` when it
    is S3Client's own. Any other one runs, with a dict of its own to edit, as it did when
    the methods were Python functions: an instance's, a patched class's, a subclass's."""
    import inspect
    import operator
    from unittest import mock

    from s3seal.session import S3Client

    seen: list[tuple[str, dict[str, Any]]] = []

    def spy(operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        seen.append((operation, dict(kwargs)))
        kwargs["Bucket"] = mbucket  # botocore's parameter handlers edit the dict in place
        return S3Client._make_api_call(ms3, operation, kwargs)

    ms3._make_api_call = spy
    args = {"Bucket": "not-this-one"}
    assert ms3.list_objects(**args)["Name"] == mbucket
    assert args == {"Bucket": "not-this-one"} and seen == [("ListObjects", args)]
    # A C caller's own dict reaches the method as it is: methodcaller passes the one it keeps.
    call = operator.methodcaller("list_objects", Bucket="not-this-one")
    assert call(ms3)["Name"] == call(ms3)["Name"] == mbucket
    assert seen[1:] == [("ListObjects", args)] * 2
    del ms3._make_api_call
    assert ms3.list_objects(Bucket=mbucket)["Name"] == mbucket and len(seen) == 3

    with mock.patch.object(S3Client, "_make_api_call", return_value={"patched": 1}) as patched:
        assert ms3.head_bucket(Bucket=mbucket) == {"patched": 1}
    patched.assert_called_once_with("HeadBucket", {"Bucket": mbucket})

    class Logged(S3Client):
        def _make_api_call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
            seen.append((operation, kwargs))
            return super()._make_api_call(operation, kwargs)

    logged = Logged(**ministack.client_kwargs())
    assert logged.head_bucket(Bucket=mbucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert seen[-1] == ("HeadBucket", {"Bucket": mbucket})
    assert logged.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert seen[-1] == ("ListBuckets", {})
    assert str(inspect.signature(ms3.get_object)) == "(**kwargs)"
    assert ms3.get_object.__name__ == "get_object" and "GetObject" in (ms3.get_object.__doc__ or "")


def test_bucket_operations_on_garage(garage) -> None:  # type: ignore[no-untyped-def]
    """Garage, a real store: what it implements works through the engine too."""
    from conftest import make_bucket

    s3 = s3seal.client("s3", **garage.client_kwargs())
    bucket = make_bucket(garage)
    s3.put_object(Bucket=bucket, Key="g/a b", Body=b"1")
    listed = s3.list_objects(Bucket=bucket, Prefix="g/")
    assert [o["Key"] for o in listed["Contents"]] == ["g/a b"]
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    cors = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedMethods"] == ["GET"]
    s3.delete_bucket_cors(Bucket=bucket)
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] in (None, "us-east-1", "garage")


def _model() -> dict[str, Any]:
    path = os.path.join(os.path.dirname(botocore.__file__), "data/s3/2006-03-01/service-2.json.gz")
    with gzip.open(path) as f:
        return json.load(f)  # type: ignore[no-any-return]


def test_every_operation_of_the_model_has_a_method_and_a_stub(ms3) -> None:  # type: ignore[no-untyped-def]
    operations = _model()["operations"]
    stub = (_ops.__file__ or "").replace(".py", ".pyi")
    with open(stub) as f:
        stub_text = f.read()
    real = boto3.client("s3", region_name="us-east-1")
    assert len(operations) >= 100
    for name in operations:
        method = botocore.xform_name(name)
        assert _ops.OPERATION_NAMES[method] == name
        assert callable(getattr(ms3, method)), method
        assert hasattr(real, method), f"boto3 has no {method}"
        assert f"    def {method}(" in stub_text, f"no stub for {method}"


def test_unsupported_operations_say_so(ms3, mbucket) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotImplementedError, match="event stream"):
        ms3.select_object_content(
            Bucket=mbucket,
            Key="k",
            Expression="select * from s3object",
            ExpressionType="SQL",
            InputSerialization={"CSV": {}},
            OutputSerialization={"CSV": {}},
        )


def test_required_checksums_take_the_callers_algorithm(ministack, mbucket) -> None:  # type: ignore[no-untyped-def]
    real, ms3 = (
        boto3.client("s3", **ministack.client_kwargs()),
        s3seal.client("s3", **ministack.client_kwargs()),
    )
    tags = {"TagSet": [{"Key": "k", "Value": "v" * 200}]}
    for algorithm in ("SHA256", "CRC32C", "SHA1", "CRC32"):
        ms3.put_bucket_tagging(Bucket=mbucket, Tagging=tags, ChecksumAlgorithm=algorithm)
        assert ms3.get_bucket_tagging(Bucket=mbucket)["TagSet"] == tags["TagSet"]
    for client in (real, ms3):
        with pytest.raises(
            botocore.exceptions.FlexibleChecksumError, match="Unsupported checksum algorithm: md4"
        ):
            client.put_bucket_tagging(Bucket=mbucket, Tagging=tags, ChecksumAlgorithm="MD4")
