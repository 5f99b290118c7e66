"""Real S3 servers (ministack and Garage) on 127.0.0.1, started once per test session."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import servers  # noqa: E402

# Never reach for instance metadata or the developer's own AWS files from a test.
_HOME = tempfile.mkdtemp(prefix="s3seal-test-home-")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.path.join(_HOME, "config")
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(_HOME, "credentials")
for var in (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CA_BUNDLE",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
):
    os.environ.pop(var, None)

# The key material of the test suite: asserted absent from every message and output.
SSE_KEY = bytes(range(32))
SSE_KEY_B64 = base64.b64encode(SSE_KEY).decode()
SSE_KEY_MD5 = base64.b64encode(hashlib.md5(SSE_KEY).digest()).decode()
OTHER_KEY = bytes(range(100, 132))
SECRETS = [SSE_KEY_B64, base64.b64encode(OTHER_KEY).decode(), "alias/s3seal-test-kms-key"]


def ignore_sigint() -> None:
    """``preexec_fn`` starting a child with SIGINT ignored, as under ``nohup`` or ``&`` in a
    non-interactive shell: Python then keeps SIG_IGN, so a child that expects Ctrl-C must
    restore ``signal.default_int_handler`` itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="s3seal-servers-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def ministack(workdir: Path) -> Iterator[servers.Server]:
    server = servers.start_ministack(workdir / "ministack")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def garage(workdir: Path) -> Iterator[servers.Server]:
    server = servers.start_garage(workdir / "garage")
    yield server
    server.stop()


@pytest.fixture(params=["ministack", "garage"])
def server(request: pytest.FixtureRequest) -> servers.Server:
    return request.getfixturevalue(request.param)


def make_bucket(server: servers.Server) -> str:
    name = f"t-{uuid.uuid4().hex[:16]}"
    if server.name == "garage":
        servers.garage_create_bucket(server, name)
    else:
        import boto3

        boto3.client("s3", **server.client_kwargs()).create_bucket(Bucket=name)
    return name


@pytest.fixture
def bucket(server: servers.Server) -> str:
    return make_bucket(server)


@pytest.fixture
def mbucket(ministack: servers.Server) -> str:
    """A fresh bucket on ministack (the conformance server)."""
    return make_bucket(ministack)


@pytest.fixture
def s3(server: servers.Server):  # type: ignore[no-untyped-def]
    import s3seal

    return s3seal.client("s3", **server.client_kwargs())


@pytest.fixture
def ms3(ministack: servers.Server):  # type: ignore[no-untyped-def]
    import s3seal

    return s3seal.client("s3", **ministack.client_kwargs())


@pytest.fixture
def mboto(ministack: servers.Server):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client("s3", **ministack.client_kwargs())


@pytest.fixture(autouse=True)
def no_secret_in_output(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Whatever a test printed must not contain the suite's key material."""
    yield
    out, err = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in out and secret not in err, "key material reached the test output"
    sys.stdout.write(out)
    sys.stderr.write(err)
