"""``Config(signature_version='s3v4')``, as much boto3 code writes it (often as
``boto3.session.Config``, which is botocore's Config): accepted by s3seal's Config, and a
client made with it works as boto3's does on the same ministack."""

from __future__ import annotations

from typing import Any

import boto3
import boto3.session
import pytest
import s3seal
import s3seal.session


@pytest.mark.parametrize("config_class", [boto3.session.Config, s3seal.session.Config, s3seal.Config])
def test_signature_version_in_config(config_class: Any, ministack: Any, mbucket: str) -> None:
    config = config_class(signature_version="s3v4")
    client = s3seal.client("s3", config=config, **ministack.client_kwargs())
    client.put_object(Bucket=mbucket, Key="k", Body=b"v")
    assert client.get_object(Bucket=mbucket, Key="k")["Body"].read() == b"v"
    assert client.meta.config.signature_version == "s3v4"
    reference = boto3.client(
        "s3", config=boto3.session.Config(signature_version="s3v4"), **ministack.client_kwargs()
    )
    assert reference.meta.config.signature_version == "s3v4"
