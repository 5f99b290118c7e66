"""Request headers in before-call / before-sign / before-send handlers behave as botocore's:
names match whatever their case (a handler reading ``Content-Type`` finds it, one setting it
replaces it), beside boto3 on the same ministack; and their repr never shows key material."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import s3seal
from conftest import SSE_KEY, SSE_KEY_B64


@pytest.mark.parametrize("sdk", [boto3, s3seal], ids=["boto3", "s3seal"])
def test_handlers_find_and_replace_headers_whatever_the_case(sdk: Any, ministack: Any, mbucket: str) -> None:
    seen: dict[str, Any] = {}

    def before_call(params: dict[str, Any], **kwargs: Any) -> None:
        seen["call"] = params["headers"].get("Content-Type")

    def before_sign(request: Any, **kwargs: Any) -> None:
        seen["sign"] = (request.headers.get("Content-Type"), "content-type" in request.headers)
        request.headers["Content-Type"] = "application/x-replaced"
        request.headers["X-Amz-Meta-Signed-By"] = "handler"

    def before_send(request: Any, **kwargs: Any) -> None:
        value = request.headers.get("CONTENT-TYPE")  # botocore's prepared request has bytes here
        seen["send"] = value.decode() if isinstance(value, bytes) else value

    client = sdk.client("s3", **ministack.client_kwargs())
    client.meta.events.register("before-call.s3.PutObject", before_call)
    client.meta.events.register("before-sign.s3.PutObject", before_sign)
    client.meta.events.register("before-send.s3.PutObject", before_send)
    client.put_object(Bucket=mbucket, Key="k", Body=b"x", ContentType="text/plain")
    head = boto3.client("s3", **ministack.client_kwargs()).head_object(Bucket=mbucket, Key="k")
    assert seen == {
        "call": "text/plain",
        "sign": ("text/plain", True),
        "send": "application/x-replaced",
    }
    assert head["ContentType"] == "application/x-replaced"
    assert head["Metadata"] == {"signed-by": "handler"}


def test_printed_request_headers_hide_the_key(
    ministack: Any, mbucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client = s3seal.client("s3", **ministack.client_kwargs())
    client.meta.events.register("before-sign.s3.PutObject", lambda request, **kwargs: print(request.headers))
    client.put_object(
        Bucket=mbucket, Key="k", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
    )
    out = capsys.readouterr().out
    assert "x-amz-server-side-encryption-customer-key" in out.lower() and "<redacted>" in out
    assert SSE_KEY_B64 not in out
