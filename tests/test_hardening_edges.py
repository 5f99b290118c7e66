"""Issue 9, items 8 and 9: no panic reaches the user, and the edges answer with botocore's
exception classes (local request-building failures, values the SDK refuses to send).

boto3 against the same ministack is the oracle for every case.
"""

from __future__ import annotations

import math
from typing import Any

import boto3
import botocore.config
import pytest
import s3seal


def outcome(fn: Any, *args: Any, **kwargs: Any) -> str:
    """The class name of what `fn` raised (with the code of a ClientError), or "ok"."""
    try:
        result = fn(*args, **kwargs)
        if isinstance(result, dict) and "Body" in result:
            result["Body"].read()
    except Exception as e:
        code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code")
        return f"{type(e).__name__}({code})" if code else type(e).__name__
    return "ok"


CASES: list[tuple[str, dict[str, Any]]] = [
    ("put_object", {"Key": "k" * 70_000, "Body": b"x"}),
    ("head_object", {"Key": "k" * 70_000}),
    ("upload_part", {"Key": "k", "UploadId": "u" * 70_000, "PartNumber": 1, "Body": b"x"}),
    ("put_object", {"Key": " ", "Body": b"x"}),
    ("get_object", {"Key": " "}),
    ("head_object", {"Key": "\t"}),
    ("copy_object", {"Key": "c", "CopySource": ""}),
    ("upload_part", {"Key": "k", "UploadId": "", "PartNumber": 1, "Body": b"x"}),
    ("abort_multipart_upload", {"Key": "k", "UploadId": ""}),
    ("put_object", {"Key": "k", "Body": b"x", "ChecksumAlgorithm": "FOO"}),
    ("put_object", {"Key": "k", "Body": b"x", "ChecksumAlgorithm": "crc32"}),
    ("put_object", {"Key": "k", "Body": b"x", "ContentType": "a\r\nb"}),
    ("put_object", {"Key": "k", "Body": b"x", "Metadata": {"a": "b\nc"}}),
]


@pytest.mark.parametrize(("op", "kwargs"), CASES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CASES)])
def test_edges_answer_like_botocore(mboto, ms3, mbucket, op: str, kwargs: dict[str, Any]) -> None:
    if op == "copy_object" or "UploadId" in kwargs:
        mboto.put_object(Bucket=mbucket, Key="k", Body=b"x")
    expected = outcome(getattr(mboto, op), Bucket=mbucket, **kwargs)
    got = outcome(getattr(ms3, op), Bucket=mbucket, **kwargs)
    assert got == expected
    assert "RuntimeError" not in got and "Panic" not in got


def test_whitespace_key_round_trips(mboto, ms3, mbucket) -> None:
    ms3.put_object(Bucket=mbucket, Key=" ", Body=b"space")
    assert mboto.get_object(Bucket=mbucket, Key=" ")["Body"].read() == b"space"
    assert ms3.get_object(Bucket=mbucket, Key=" ")["Body"].read() == b"space"


TIMEOUTS = [0, -1, 1e300, math.inf, math.nan, 2**70, 1e10]


@pytest.mark.parametrize("value", TIMEOUTS, ids=repr)
@pytest.mark.parametrize("which", ["read_timeout", "connect_timeout"])
def test_timeouts_are_validated_like_botocore(ministack, mbucket, which: str, value: float) -> None:
    def call(module: Any, config: Any) -> Any:
        client = module.client("s3", config=config(**{which: value}), **ministack.client_kwargs())
        return client.head_bucket(Bucket=mbucket)

    expected = outcome(call, boto3, botocore.config.Config)
    assert outcome(call, s3seal, s3seal.Config) == expected
    assert outcome(call, s3seal, botocore.config.Config) == expected
