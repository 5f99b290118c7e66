"""Request headers in before-call / before-sign / before-send handlers behave as botocore's:
names match whatever their case (a handler reading ``Content-Type`` finds it, one setting it
replaces it), beside boto3 on the same ministack; and their repr never shows key material."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import s3seal
from conftest import SSE_KEY, SSE_KEY_B64
from faults import FaultProxy


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


def user_agents(sent: bytes) -> list[str]:
    """The User-Agent of each request in the bytes clients sent through a FaultProxy."""
    return [
        line.split(b":", 1)[1].strip().decode()
        for line in sent.split(b"\r\n")
        if line.lower().startswith(b"user-agent:")
    ]


@pytest.mark.parametrize("sdk", [boto3, s3seal], ids=["boto3", "s3seal"])
def test_the_user_agent_is_built_as_botocore_builds_it(sdk: Any, ministack: Any, mbucket: str) -> None:
    """On the wire: ``Config(user_agent=...)`` replaces the User-Agent, ``user_agent_extra``
    following it; without it the client names itself, and ``user_agent_appid`` (sanitised)
    and ``user_agent_extra`` end the string."""
    from botocore.config import Config

    with FaultProxy(ministack.port) as proxy:
        kwargs = {**ministack.client_kwargs(), "endpoint_url": proxy.url}
        replaced = Config(user_agent="custom/1.0", user_agent_extra="extra/2")
        sdk.client("s3", config=replaced, **kwargs).head_bucket(Bucket=mbucket)
        default = Config(user_agent_appid="my app", user_agent_extra="extra/3")
        sdk.client("s3", config=default, **kwargs).head_bucket(Bucket=mbucket)
        sent = bytes(proxy.sent)
    replaced_ua, built = user_agents(sent)
    # boto3's session adds its own extra between the two ("Botocore/<version>"); s3seal's none.
    assert replaced_ua.startswith("custom/1.0 ") and replaced_ua.endswith(" extra/2")
    assert sdk is boto3 or replaced_ua == "custom/1.0 extra/2"
    assert built.startswith("Boto3/" if sdk is boto3 else "s3seal/")
    assert " ua/2.1 " in built and " app/my-app " in built and built.endswith(" extra/3")
    assert sdk is boto3 or built.endswith(" app/my-app extra/3")
