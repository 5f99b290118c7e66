"""A custom endpoint reached by a host name (not an IP, not localhost) uses path-style
addressing, as botocore does for any custom endpoint that is not s3-accelerate: MinIO, Ceph
and Garage users reach their servers by name, and ``bucket.host`` would not resolve."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.config
import s3seal
from test_endpoint_sources import loopback_hostname


def round_trip(client: Any, bucket: str, key: str) -> tuple[bytes, list[str]]:
    """put, get and list through `client`: what a plain (non-SSE-C) user does."""
    client.put_object(Bucket=bucket, Key=key, Body=b"by name " + key.encode())
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]]
    return body, listed


def test_hostname_endpoint_uses_path_style_like_boto3(ministack: Any, mbucket: str) -> None:
    url = f"http://{loopback_hostname()}:{ministack.port}"
    # One attempt: a wrong addressing style fails at once instead of after the retries.
    config = botocore.config.Config(retries={"total_max_attempts": 1})
    kwargs = {**ministack.client_kwargs(), "endpoint_url": url, "config": config}
    theirs = round_trip(boto3.client("s3", **kwargs), mbucket, "boto3")
    ours = round_trip(s3seal.client("s3", **kwargs), mbucket, "s3seal")
    assert theirs == (b"by name boto3", ["boto3"])
    assert ours == (b"by name s3seal", ["s3seal"])
