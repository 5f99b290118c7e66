"""Issue 9, items 4, 6, 7 and 9: parameters and file objects get botocore's answer.

Each test runs the same call through boto3 and s3seal against ministack where the answer
comes from botocore itself, so the expectation is botocore's, not ours.
"""

from __future__ import annotations

import datetime as dt
import http.client
import pickle
from typing import Any

import botocore.exceptions
import pytest
import s3seal
from conftest import SSE_KEY_B64


def outcome(fn: Any, *args: Any, **kwargs: Any) -> str:
    """The class name of what `fn` raised, or "ok"."""
    try:
        fn(*args, **kwargs)
    except Exception as e:
        return type(e).__name__
    return "ok"


TIMESTAMPS = [
    dt.datetime(2030, 1, 1),
    dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc),
    1_900_000_000,
    1.9e9,
    -1,
    True,
    "2030-01-01T00:00:00Z",
    "Wed, 01 Jan 2031 00:00:00 GMT",
    "1900000000",
    "garbage",
    2**64,
    1e300,
    float("inf"),
    float("-inf"),
    float("nan"),
    None,
    b"2030",
]


@pytest.mark.parametrize("value", TIMESTAMPS, ids=repr)
def test_expires_accepts_what_botocore_accepts(mboto, ms3, mbucket, value: Any) -> None:
    expected = outcome(mboto.put_object, Bucket=mbucket, Key="e", Body=b"x", Expires=value)
    assert outcome(ms3.put_object, Bucket=mbucket, Key="e", Body=b"x", Expires=value) == expected


@pytest.mark.parametrize("value", TIMESTAMPS, ids=repr)
def test_if_modified_since_out_of_range_is_refused_like_botocore(mboto, ms3, mbucket, value: Any) -> None:
    """Never an empty header that silently drops the condition: botocore's class or the
    server's own answer (200 or 304), the same as boto3's."""
    mboto.put_object(Bucket=mbucket, Key="c", Body=b"x")
    expected = outcome(mboto.get_object, Bucket=mbucket, Key="c", IfModifiedSince=value)
    assert outcome(ms3.get_object, Bucket=mbucket, Key="c", IfModifiedSince=value) == expected


def test_expires_round_trips_as_a_datetime_like_botocore(mboto, ms3, mbucket, tmp_path) -> None:
    when = dt.datetime(2030, 1, 2, 3, 4, 5)
    ms3.put_object(Bucket=mbucket, Key="a", Body=b"x", Expires=when)
    path = tmp_path / "f"
    path.write_bytes(b"y")
    ms3.upload_file(str(path), mbucket, "b", ExtraArgs={"Expires": when})
    for key in ("a", "b"):
        ours = ms3.head_object(Bucket=mbucket, Key=key)
        theirs = mboto.head_object(Bucket=mbucket, Key=key)
        assert ours["Expires"] == theirs["Expires"] == when.replace(tzinfo=dt.timezone.utc)
        assert ours["ExpiresString"] == theirs["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"
        got = ms3.get_object(Bucket=mbucket, Key=key)
        assert got["Expires"] == ours["Expires"] and got["ExpiresString"] == ours["ExpiresString"]


class Reader:
    """A file object whose read() answers `value` (seekable when `seekable`)."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.calls = 0

    def read(self, n: int = -1) -> Any:
        self.calls += 1
        return self.value

    def seek(self, *args: Any) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        pass


@pytest.mark.parametrize("value", [None, 123, "text", [1]], ids=repr)
def test_read_returning_non_bytes_raises_type_error_at_once(ms3, mbucket, value: Any) -> None:
    with pytest.raises(TypeError, match="bytes-like object is required"):
        ms3.put_object(Bucket=mbucket, Key="r", Body=Reader(value))
    reader = Reader(value)
    with pytest.raises(TypeError, match="bytes-like object is required"):
        ms3.upload_fileobj(reader, mbucket, "r")
    assert reader.calls == 1  # no busy loop


LONE_SURROGATE = "\udc80" + SSE_KEY_B64[1:]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": LONE_SURROGATE},
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": LONE_SURROGATE},
    ],
    ids=["sse-c-key", "kms-key-id"],
)
def test_lone_surrogate_in_a_secret_is_a_redacted_validation_error(ms3, mbucket, kwargs) -> None:
    with pytest.raises(s3seal.exceptions.ParamValidationError) as info:
        ms3.put_object(Bucket=mbucket, Key="s", Body=b"x", **kwargs)
    assert isinstance(info.value, botocore.exceptions.ParamValidationError)
    for view in (str(info.value), repr(info.value), repr(info.value.args), repr(vars(info.value))):
        assert LONE_SURROGATE not in view and SSE_KEY_B64[1:] not in view
    assert SSE_KEY_B64[1:].encode() not in pickle.dumps(info.value)


def test_read_minus_one_reads_everything(mboto, ms3, mbucket) -> None:
    mboto.put_object(Bucket=mbucket, Key="m", Body=b"0123456789")
    assert mboto.get_object(Bucket=mbucket, Key="m")["Body"].read(-1) == b"0123456789"
    assert ms3.get_object(Bucket=mbucket, Key="m")["Body"].read(-1) == b"0123456789"


@pytest.mark.parametrize("expires", ["Tue, 01 Jan 2030 00:00:00 GMT", "2030-01-01T00:00:00Z", "not a date"])
def test_expires_in_responses_like_botocore(ministack, mboto, ms3, mbucket, expires: str) -> None:
    """The server's header as sent: a datetime when it parses, always ExpiresString, and
    HTTPHeaders without the SDK's synthetic `expiresstring`."""
    conn = http.client.HTTPConnection("127.0.0.1", ministack.port, timeout=10)
    conn.request("PUT", f"/{mbucket}/raw", body=b"x", headers={"Expires": expires})
    assert conn.getresponse().status == 200
    theirs = mboto.head_object(Bucket=mbucket, Key="raw")
    ours = ms3.head_object(Bucket=mbucket, Key="raw")
    assert ours.get("Expires") == theirs.get("Expires")
    assert ours["ExpiresString"] == theirs["ExpiresString"] == expires
    ours_headers, their_headers = (r["ResponseMetadata"]["HTTPHeaders"] for r in (ours, theirs))
    assert sorted(ours_headers) == sorted(their_headers)
    assert ours_headers.get("expires") == their_headers.get("expires")


def validation_message(fn: Any, **kwargs: Any) -> str:
    with pytest.raises(botocore.exceptions.ParamValidationError) as raised:
        fn(**kwargs)
    return str(raised.value)


@pytest.mark.parametrize(
    ("op", "kwargs"),
    [
        # Missing members come first, then unknown ones, each in botocore's order.
        ("put_object", {"Bodyy": b"x", "Buckett": "b", "Key": "k"}),
        ("get_object", {"IfMatch": 1, "Nope": 2}),
        ("put_object", {"Bucket": "b", "Key": "k", "SSECustomerKeyMD5": None, "Extra": 1}),
        # Nested structures are looked up in their own members.
        (
            "put_object_tagging",
            {"Bucket": "b", "Key": "k", "Tagging": {"TagSet": [{"Key": "a", "Valu": "v"}], "X": 1}},
        ),
        ("delete_objects", {"Bucket": "b", "Delete": {"Objects": [{"VersionId": "v"}], "Quiet": "no"}}),
        # A key that is a str subclass is still the member it spells.
        ("head_object", {str.__new__(type("Name", (str,), {}), "Bucket"): "b", "Kee": "k"}),
    ],
    ids=[
        "put-missing-and-unknown",
        "get-wrong-type-and-unknown",
        "md5-none-and-unknown",
        "nested-tagging",
        "nested-delete",
        "str-subclass-key",
    ],
)
def test_validation_messages_are_botocores(mboto, ms3, op: str, kwargs: dict[str, Any]) -> None:
    assert validation_message(getattr(ms3, op), **kwargs) == validation_message(getattr(mboto, op), **kwargs)
