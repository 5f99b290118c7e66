"""No secret in any object's state: sessions and clients keep credentials out of their
``__dict__`` and repr, and pickle by configuration only (profile, region, endpoint, TLS and
Config options). The receiving process resolves credentials from its own chain; an object
given explicit keys refuses to pickle rather than write them into the pickle."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import s3seal

ACCESS_KEY = "AKIDPICKLETEST"
SECRET_KEY = "pickle-test-secret-access-key"
TOKEN = "pickle-test-session-token"
CREDENTIAL_STRINGS = (SECRET_KEY, TOKEN)


def assert_no_secret(*texts: Any) -> None:
    joined = "\n".join(t.decode("latin-1") if isinstance(t, bytes) else str(t) for t in texts)
    for secret in CREDENTIAL_STRINGS:
        assert secret not in joined


@pytest.fixture
def env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials in the environment (ministack accepts any): the chain a child inherits."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)


def test_session_with_explicit_keys_keeps_them_out_of_its_state(ministack: Any, mbucket: str) -> None:
    session = s3seal.Session(
        aws_access_key_id=ministack.access_key,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN,
        region_name="us-east-1",
    )
    assert_no_secret(vars(session), repr(session), dir(session))
    with pytest.raises(TypeError, match="explicit credentials") as err:
        pickle.dumps(session)
    assert_no_secret(err.value, repr(err.value))
    # ... and its clients still sign with them: the suite's environment has no credentials.
    client = session.client("s3", endpoint_url=ministack.url)
    assert client.list_objects_v2(Bucket=mbucket)["KeyCount"] == 0
    with pytest.raises(s3seal.exceptions.NoCredentialsError):
        s3seal.Session().client("s3", endpoint_url=ministack.url).list_objects_v2(Bucket=mbucket)


def test_session_pickles_by_profile_and_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text(
        f"[profile p]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    session = s3seal.Session(profile_name="p", region_name="eu-west-3")
    data = pickle.dumps(session)
    assert_no_secret(data, vars(session))
    clone = pickle.loads(data)
    assert (clone.profile_name, clone.region_name) == ("p", "eu-west-3")


def test_client_with_explicit_keys_refuses_to_pickle(ministack: Any) -> None:
    client = s3seal.client(
        "s3",
        endpoint_url=ministack.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN,
    )
    assert_no_secret(vars(client), repr(client))
    with pytest.raises(TypeError, match="explicit credentials") as err:
        pickle.dumps(client)
    assert_no_secret(err.value)


@pytest.mark.usefixtures("env_credentials")
def test_client_pickles_by_configuration(ministack: Any, mbucket: str) -> None:
    config = s3seal.Config(retries={"total_max_attempts": 2}, read_timeout=7, s3={"addressing_style": "path"})
    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1", config=config)
    data = pickle.dumps(client)
    assert_no_secret(data, vars(client))
    clone = pickle.loads(data)
    assert type(clone) is s3seal.S3Client and clone is not client
    assert (clone.endpoint_url, clone.region_name) == (ministack.url, "us-east-1")
    assert vars(clone) == vars(client)
    clone.put_object(Bucket=mbucket, Key="k", Body=b"from the clone")
    assert client.get_object(Bucket=mbucket, Key="k")["Body"].read() == b"from the clone"


@pytest.mark.usefixtures("env_credentials")
def test_pickled_client_works_in_a_spawned_process(ministack: Any, mbucket: str) -> None:
    """The child starts from nothing (spawn): the pickle alone rebuilds the client, and the
    child finds its credentials in the environment it inherited."""
    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
    client.put_object(Bucket=mbucket, Key="from-parent", Body=b"parent")
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        put = pool.submit(client.put_object, Bucket=mbucket, Key="from-child", Body=b"child")
        head = pool.submit(client.head_object, Bucket=mbucket, Key="from-parent")
        assert put.result(timeout=120)["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert head.result(timeout=120)["ContentLength"] == len(b"parent")
    assert client.get_object(Bucket=mbucket, Key="from-child")["Body"].read() == b"child"
