"""Issue 9, item 8: no panic reaches the user, whatever the value.

Huge, empty, NUL, CR/LF, lone-surrogate and non-finite values go through every member of
put_object, get_object, head_object, copy_object, list_objects_v2 and delete_objects, by
the member's type in botocore's model. Every outcome must be a server answer or an
exception botocore itself can raise (never a PanicException, never an internal error);
the share that matches boto3's class exactly is printed.
"""

from __future__ import annotations

import math
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
import s3seal
from botocore import xform_name

OPERATIONS = ["PutObject", "GetObject", "HeadObject", "CopyObject", "ListObjectsV2", "DeleteObjects"]
HUGE = "k" * 70_000

VALUES: dict[str, list[Any]] = {
    "string": [HUGE, "", "a\x00b", "a\r\nb", "\udc80", math.nan],
    "integer": [2**70, -(2**70), 0, math.nan, math.inf, "1"],
    "long": [2**70, -(2**70), 0, math.nan, math.inf, "1"],
    "boolean": ["true", 0, math.nan, None],
    "timestamp": [2**64, math.nan, math.inf, -math.inf, "", "a\r\nb"],
    "blob": [b"x" * (1 << 20), b"", b"\x00", "a\r\nb", math.nan],
    "map": [{HUGE: "v"}, {}, {"a\x00": "b"}, {"a": "b\r\nc"}, {"a": math.nan}],
    "list": [[], [{}], ["\x00"], [{"Key": HUGE}] * 3, math.inf],
    "structure": [{}, {"Bad": 1}, {"Objects": [{"Key": ""}]}, math.nan],
}

# What botocore raises itself for bad input (besides its own BotoCoreError family).
BOTOCORE_BUILTINS = (TypeError, ValueError, RuntimeError, UnicodeError, OverflowError)


def base_kwargs(op: str, bucket: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if op in ("PutObject", "GetObject", "HeadObject", "CopyObject"):
        kwargs["Key"] = "k"
    if op == "CopyObject":
        kwargs["CopySource"] = f"{bucket}/k"
    if op == "DeleteObjects":
        kwargs["Delete"] = {"Objects": [{"Key": "k"}]}
    return kwargs


def cases() -> list[tuple[str, str, str, Any]]:
    model = boto3.client("s3", region_name="us-east-1").meta.service_model
    out = []
    for op in OPERATIONS:
        for name, shape in model.operation_model(op).input_shape.members.items():
            for value in VALUES.get(shape.type_name, []):
                out.append((op, name, shape.type_name, value))
    return out


def outcome(fn: Any, **kwargs: Any) -> tuple[str, BaseException | None]:
    try:
        result = fn(**kwargs)
        if isinstance(result, dict) and "Body" in result:
            result["Body"].read()
    except BaseException as e:  # a PanicException is a BaseException
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return type(e).__name__, e
    return "ok", None


def test_every_member_survives_hostile_values(ministack, mbucket) -> None:
    # One attempt each: the answer, not the retries, is what is compared.
    once = {"retries": {"total_max_attempts": 1}, "read_timeout": 10}
    mboto = boto3.client("s3", config=botocore.config.Config(**once), **ministack.client_kwargs())
    ms3 = s3seal.client("s3", config=s3seal.Config(**once), **ministack.client_kwargs())
    mboto.put_object(Bucket=mbucket, Key="k", Body=b"v")
    tried = same = 0
    bad = []
    for op, member, kind, value in cases():
        kwargs = {**base_kwargs(op, mbucket), member: value}
        theirs, _ = outcome(getattr(mboto, xform_name(op)), **kwargs)
        ours, error = outcome(getattr(ms3, xform_name(op)), **kwargs)
        tried += 1
        same += theirs == ours
        acceptable = error is None or isinstance(
            error, (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, *BOTOCORE_BUILTINS)
        )
        # A local failure must not pass for a network one ("... endpoint URL: ''").
        internal = error is not None and ("internal error in s3seal" in str(error) or 'URL: ""' in str(error))
        if not acceptable or internal or type(error).__name__ == "PanicException":
            bad.append(f"{op}.{member} ({kind}) = {value!r:.40}: {ours} {error!s:.120}")
    print(f"sweep: {tried} calls, {same} ({100 * same / tried:.1f}%) with boto3's outcome class")
    assert tried > 300
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("value", [1e300, math.inf, math.nan, 0, -1, 2**70])
def test_config_timeouts_never_panic(ministack, value: float) -> None:
    for name in ("read_timeout", "connect_timeout"):
        kind, error = outcome(
            s3seal.client,
            service_name="s3",
            config=s3seal.Config(**{name: value}),
            **ministack.client_kwargs(),
        )
        assert kind != "PanicException" and (error is None or isinstance(error, Exception)), kind
