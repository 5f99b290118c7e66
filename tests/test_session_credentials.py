"""``Session.get_credentials()`` beside boto3's, source by source, in an isolated
environment (no AWS_* variables, temporary shared files, no instance metadata); and the
client signs with what it returns (Garage checks signatures)."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import http.server
import json
import os
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import pytest
import s3seal

SECRET = "s3cr3t/Key+EXAMPLE0123456789abcdefghij"
TOKEN = "T0KEN//session+token=="


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials anywhere unless the test writes them: every AWS_* variable gone,
    empty shared files, instance metadata off."""
    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return tmp_path


def described(credentials: Any) -> Any:
    """What get_credentials() returned, as comparable values."""
    if credentials is None:
        return None
    c = credentials
    return (c.access_key, c.secret_key, c.token, c.method, c.account_id, tuple(c.get_frozen_credentials()))


def both(**session: Any) -> tuple[Any, Any]:
    return (
        described(s3seal.Session(**session).get_credentials()),
        described(boto3.Session(**session).get_credentials()),
    )


def write(path: Path, text: str) -> None:
    path.write_text(text)


CREDENTIALS_FILE = f"""[default]
aws_access_key_id = AKIDDEFAULTFILE
aws_secret_access_key = {SECRET}

[tokened]
aws_access_key_id = AKIDTOKENED
aws_secret_access_key = {SECRET}-2
aws_session_token = {TOKEN}
"""

CONFIG_FILE = f"""[default]
region = eu-west-1

[profile inconfig]
aws_access_key_id = AKIDCONFIGFILE
aws_secret_access_key = {SECRET}-3
"""


def test_none_when_nothing_is_configured(isolated: Path) -> None:
    ours, theirs = both()
    assert ours is None and theirs is None


def test_explicit_keys(isolated: Path) -> None:
    for session in (
        {"aws_access_key_id": "AKIDEXPLICIT", "aws_secret_access_key": SECRET},
        {"aws_access_key_id": "AKIDEXPLICIT", "aws_secret_access_key": SECRET, "aws_session_token": TOKEN},
        {
            "aws_access_key_id": "AKIDEXPLICIT",
            "aws_secret_access_key": SECRET,
            "aws_account_id": "123456789012",
        },
        {"aws_access_key_id": "AKIDEXPLICIT"},  # boto3 keeps a partial pair as given
    ):
        ours, theirs = both(**session)
        assert ours == theirs, session
        assert ours[3] == "explicit"


def test_environment(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(isolated / "credentials", CREDENTIALS_FILE)  # the environment comes first
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    ours, theirs = both()
    assert ours == theirs and ours[:4] == ("AKIDENV", SECRET, None, "env")
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    ours, theirs = both()
    assert ours == theirs and ours[2] == TOKEN
    # AWS_PROFILE (not the Session's argument) leaves the environment's keys first.
    monkeypatch.setenv("AWS_PROFILE", "tokened")
    ours, theirs = both()
    assert ours == theirs and ours[0] == "AKIDENV"


def test_shared_credentials_file(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(isolated / "credentials", CREDENTIALS_FILE)
    write(isolated / "config", CONFIG_FILE)
    ours, theirs = both()
    assert ours == theirs and ours[:4] == ("AKIDDEFAULTFILE", SECRET, None, "shared-credentials-file")
    ours, theirs = both(profile_name="tokened")
    assert ours == theirs and ours[:4] == ("AKIDTOKENED", SECRET + "-2", TOKEN, "shared-credentials-file")
    monkeypatch.setenv("AWS_PROFILE", "tokened")
    ours, theirs = both()
    assert ours == theirs and ours[0] == "AKIDTOKENED"


def test_a_profile_given_to_the_session_takes_the_environment_out(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore: a Session's ``profile_name`` removes the environment's keys from the chain
    (AWS_PROFILE does not); a profile without keys then finds none."""
    write(isolated / "credentials", CREDENTIALS_FILE)
    write(isolated / "config", CONFIG_FILE + "\n[profile nokeys]\nregion = us-west-2\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    ours, theirs = both(profile_name="tokened")
    assert ours == theirs and ours[0] == "AKIDTOKENED"
    ours, theirs = both(profile_name="nokeys")
    assert ours is None and theirs is None


def test_config_file(isolated: Path) -> None:
    write(isolated / "credentials", CREDENTIALS_FILE)
    write(isolated / "config", CONFIG_FILE)
    ours, theirs = both(profile_name="inconfig")
    assert ours == theirs and ours[:4] == ("AKIDCONFIGFILE", SECRET + "-3", None, "config-file")


def test_botocores_classes_without_the_secret_in_a_repr_or_pickle(isolated: Path) -> None:
    session = s3seal.Session(
        aws_access_key_id="AKIDEXPLICIT", aws_secret_access_key=SECRET, aws_session_token=TOKEN
    )
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials()
    assert isinstance(credentials, botocore.credentials.Credentials)
    assert isinstance(frozen, botocore.credentials.ReadOnlyCredentials)
    assert frozen == ("AKIDEXPLICIT", SECRET, TOKEN, None)
    assert frozen.secret_key == SECRET and frozen.token == TOKEN
    assert credentials.get_deferred_property("secret_key")() == SECRET
    for text in (
        repr(credentials),
        str(credentials),
        repr(frozen),
        str(frozen),
        repr(session),
        str(vars(session)),
        str(vars(credentials)),
    ):
        assert SECRET not in text and TOKEN not in text, text
    assert "AKIDEXPLICIT" in repr(credentials) and "AKIDEXPLICIT" in repr(frozen)
    for obj in (credentials, frozen):
        with pytest.raises(TypeError, match="secret"):
            pickle.dumps(obj)
    # botocore's classes pickle and show the secret (ReadOnlyCredentials is a namedtuple):
    # the divergence is deliberate.
    assert SECRET in repr(
        boto3.Session(aws_access_key_id="A", aws_secret_access_key=SECRET)
        .get_credentials()
        .get_frozen_credentials()
    )
    # Copies still work (copy.copy would otherwise go through the refused pickling path).
    copied = copy.copy(credentials)
    assert copied is not credentials and described(copied) == described(credentials)
    assert copy.deepcopy(frozen) == frozen


def test_resolved_secrets_stay_out_of_reprs(isolated: Path) -> None:
    write(isolated / "credentials", CREDENTIALS_FILE)
    credentials = s3seal.Session(profile_name="tokened").get_credentials()
    assert credentials.secret_key == SECRET + "-2"
    for text in (repr(credentials), repr(credentials.get_frozen_credentials())):
        assert SECRET not in text and TOKEN not in text


def test_the_client_signs_with_the_same_credentials(  # type: ignore[no-untyped-def]
    isolated: Path, garage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile holding Garage's keys: get_credentials() names them, and a client of the
    same session signs with them (Garage refuses any other signature)."""
    write(
        isolated / "credentials",
        f"[garage]\naws_access_key_id = {garage.access_key}\naws_secret_access_key = {garage.secret_key}\n",
    )
    # Keys in the environment that Garage does not know: a Session's profile_name skips them.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "GKunknown0123456789abcdef")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    session = s3seal.Session(profile_name="garage", region_name=garage.region)
    ours = described(session.get_credentials())
    assert ours == described(boto3.Session(profile_name="garage").get_credentials())
    assert ours[:2] == (garage.access_key, garage.secret_key)
    for module in (s3seal, boto3):
        s3 = module.Session(profile_name="garage").client(
            "s3", endpoint_url=garage.url, region_name=garage.region
        )
        assert s3.head_bucket(Bucket=garage.bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    # AWS_PROFILE leaves the environment's keys first: both sign with them and are refused.
    monkeypatch.setenv("AWS_PROFILE", "garage")
    assert s3seal.Session().get_credentials().access_key == "GKunknown0123456789abcdef"
    refusals = []
    for module in (s3seal, boto3):
        s3 = module.Session().client("s3", endpoint_url=garage.url, region_name=garage.region)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.list_objects_v2(Bucket=garage.bucket)
        refusals.append(
            (e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"])
        )
    assert refusals[0] == refusals[1]
    assert refusals[0][1] == 403


@pytest.fixture
def container_endpoint(isolated: Path, monkeypatch: pytest.MonkeyPatch, ministack) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """A container credentials endpoint on 127.0.0.1 (the protocol of ECS's, which botocore
    and aws-config both speak) handing out ministack's keys for an hour; yields the paths
    of the requests it answered."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
            body = json.dumps(
                {
                    "AccessKeyId": ministack.access_key,
                    "SecretAccessKey": ministack.secret_key,
                    "Token": TOKEN,
                    "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{server.server_port}/creds")
    yield hits
    server.shutdown()
    server.server_close()


def test_temporary_credentials_are_fetched_once_as_boto3s(
    container_endpoint: list[str], ministack, mbucket
) -> None:  # type: ignore[no-untyped-def]
    """Credentials that expire in an hour are asked for once, not once a request (s3seal
    asked the container endpoint, or instance metadata, or STS, on every request)."""
    counts = {}
    for module in (boto3, s3seal):
        container_endpoint.clear()
        s3 = module.Session().client("s3", endpoint_url=ministack.url, region_name="us-east-1")
        for _ in range(5):
            s3.list_objects_v2(Bucket=mbucket)
        counts[module.__name__] = len(container_endpoint)
    assert counts["s3seal"] == counts["boto3"] == 1
    ours, theirs = both()
    assert ours == theirs and ours[:4] == (
        ministack.access_key,
        ministack.secret_key,
        TOKEN,
        "container-role",
    )


def test_async_session_credentials_match_aiobotocores(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aioboto3's form: ``await session.get_credentials()`` and ``await
    # creds.get_frozen_credentials()``, compared with aiobotocore's session on the same chain.
    aiobotocore_session = pytest.importorskip("aiobotocore.session")
    import s3seal.aio

    async def described_async(credentials: Any) -> Any:
        if credentials is None:
            return None
        c = credentials
        frozen = await c.get_frozen_credentials()
        return (c.access_key, c.secret_key, c.token, c.method, tuple(frozen))

    async def pair() -> tuple[Any, Any]:
        ours = await described_async(await s3seal.aio.Session().get_credentials())
        theirs = await described_async(await aiobotocore_session.get_session().get_credentials())
        return ours, theirs

    assert asyncio.run(pair()) == (None, None)
    write(isolated / "credentials", CREDENTIALS_FILE)
    ours, theirs = asyncio.run(pair())
    assert ours == theirs and ours[:4] == ("AKIDDEFAULTFILE", SECRET, None, "shared-credentials-file")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    ours, theirs = asyncio.run(pair())
    assert ours == theirs and ours[:4] == ("AKIDENV", SECRET, TOKEN, "env")
    credentials = asyncio.run(s3seal.aio.Session().get_credentials())
    assert SECRET not in repr(credentials) and TOKEN not in repr(credentials)
    assert SECRET not in str(vars(credentials)) and TOKEN not in str(vars(credentials))
    with pytest.raises(TypeError):
        pickle.dumps(credentials)
