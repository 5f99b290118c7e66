"""Every way to configure the endpoint (argument, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
profile's services section, the profile's endpoint_url) is resolved with botocore's precedence,
reported by ``client.endpoint_url`` / ``client.meta.endpoint_url``, and judged by the SSE-C
transport policy: an SSE-C request to a plain-http host that is not this machine is refused
before a single byte leaves the process, whatever configured the URL."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
import s3seal
from conftest import SSE_KEY
from s3seal import exceptions

SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
REGION = "us-east-1"
SOURCES = ["argument", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "services_section", "profile"]


def loopback_hostname() -> str:
    """This machine's name, when it resolves to 127.x: a host judged by its name, not its
    address (neither an IP literal nor ``localhost``), that still stays on this machine."""
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip(f"the hostname {name!r} does not resolve")
    if not address.startswith("127."):
        pytest.skip(f"the hostname {name!r} resolves to {address}, off this machine")
    return name


class Listener(threading.Thread):
    """A TCP listener on 127.0.0.1 counting the connections and bytes it receives."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.5)
                try:
                    while chunk := conn.recv(65536):
                        self.received += len(chunk)
                except OSError:
                    pass


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    server.start()
    yield server
    server.stop.set()
    server.join()
    server.sock.close()


@pytest.fixture
def env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials from the environment (any key works with ministack), none in arguments."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(var, raising=False)


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "aws-config"
    path.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))


def configure(source: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Point `source` at `url`; the keyword arguments of Session() and .client() to use."""
    if source == "argument":
        return {"session": {}, "client": {"endpoint_url": url}}
    if source.startswith("AWS_"):
        monkeypatch.setenv(source, url)
        return {"session": {}, "client": {}}
    # A Session given profile_name takes its keys from the profile, not the environment
    # (botocore drops the environment's keys from its chain then).
    keys = "aws_access_key_id = test-access-key\naws_secret_access_key = test-secret-key\n"
    if source == "services_section":
        write_config(
            tmp_path,
            monkeypatch,
            f"[profile t]\n{keys}services = local\n[services local]\ns3 =\n  endpoint_url = {url}\n",
        )
    else:
        write_config(tmp_path, monkeypatch, f"[profile t]\n{keys}endpoint_url = {url}\n")
    return {"session": {"profile_name": "t"}, "client": {}}


# One attempt and short timeouts: should a request leak to the silent listener, the test
# fails in seconds rather than after botocore's default retries of 60 s reads.
IMPATIENT = s3seal.Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=2)


def make_client(
    source: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: Any = IMPATIENT
) -> Any:
    kw = configure(source, url, tmp_path, monkeypatch)
    return s3seal.Session(**kw["session"]).client("s3", region_name=REGION, config=config, **kw["client"])


def refused_call(client: Any, op: str, tmp_path: Path) -> None:
    """One SSE-C call of each kind: plain put/get and the managed transfers."""
    if op == "put_object":
        client.put_object(Bucket="b", Key="k", Body=b"secret data", **SSEC)
    elif op == "get_object":
        client.get_object(Bucket="b", Key="k", **SSEC)
    elif op == "upload_file":
        src = tmp_path / "src"
        src.write_bytes(b"secret data")
        client.upload_file(str(src), "b", "k", ExtraArgs=SSEC)
    else:
        client.download_file("b", "k", str(tmp_path / "dst"), ExtraArgs=SSEC)


@pytest.mark.usefixtures("env_credentials")
@pytest.mark.parametrize("op", ["put_object", "get_object", "upload_file", "download_file"])
@pytest.mark.parametrize("source", SOURCES)
def test_sse_c_to_a_plain_http_host_off_loopback_is_refused_before_sending(
    source: str, op: str, listener: Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://{loopback_hostname()}:{listener.port}"
    client = make_client(source, url, tmp_path, monkeypatch)
    assert client.endpoint_url == url
    with pytest.raises(exceptions.InsecureTransportError):
        refused_call(client, op, tmp_path)
    time.sleep(0.05)  # let the listener count anything already on its way
    assert (listener.connections, listener.received) == (0, 0)


@pytest.mark.usefixtures("env_credentials")
@pytest.mark.parametrize("source", SOURCES)
def test_without_a_key_the_same_request_reaches_the_listener(
    source: str, listener: Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the listener does count what arrives, and each source routes requests
    (not only the reported URL) to it."""
    url = f"http://{loopback_hostname()}:{listener.port}"
    path_style = IMPATIENT.merge(s3seal.Config(s3={"addressing_style": "path"}))
    client = make_client(source, url, tmp_path, monkeypatch, path_style)
    with pytest.raises(exceptions.BotoCoreError):  # the listener never answers
        client.get_object(Bucket="b", Key="k")
    assert listener.connections == 1 and listener.received > 0


@pytest.mark.usefixtures("env_credentials")
@pytest.mark.parametrize("source", SOURCES)
def test_each_source_reaches_the_server_and_is_reported(
    source: str, ministack: Any, mbucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kw = configure(source, ministack.url, tmp_path, monkeypatch)
    client = s3seal.Session(**kw["session"]).client("s3", region_name=REGION, **kw["client"])
    reference = boto3.Session(**kw["session"]).client("s3", region_name=REGION, **kw["client"])
    assert client.endpoint_url == client.meta.endpoint_url == ministack.url
    assert reference.meta.endpoint_url == ministack.url
    assert client.meta.region_name == REGION
    client.put_object(Bucket=mbucket, Key="k", Body=b"via " + source.encode(), **SSEC)
    body = client.get_object(Bucket=mbucket, Key="k", **SSEC)["Body"].read()
    assert body == b"via " + source.encode()


# Precedence: each case configures several sources with distinct URLs; s3seal must pick what
# botocore picks. (env vars, config file text, Config kwargs, endpoint_url argument)
URLS = {name: f"http://127.0.0.1:{1001 + i}" for i, name in enumerate(SOURCES)}
ALL_PROFILE = (
    f"[profile t]\nendpoint_url = {URLS['profile']}\nservices = local\n"
    f"[services local]\ns3 =\n  endpoint_url = {URLS['services_section']}\n"
)
IGNORING_PROFILE = ALL_PROFILE.replace(
    "[profile t]\n", "[profile t]\nignore_configured_endpoint_urls = true\n"
)
ENV_BOTH = {"AWS_ENDPOINT_URL_S3": URLS["AWS_ENDPOINT_URL_S3"], "AWS_ENDPOINT_URL": URLS["AWS_ENDPOINT_URL"]}
PRECEDENCE = {
    "argument_beats_all": (ENV_BOTH, ALL_PROFILE, {}, URLS["argument"]),
    "service_env_beats_global_env": (ENV_BOTH, ALL_PROFILE, {}, None),
    "global_env_beats_profile": ({"AWS_ENDPOINT_URL": URLS["AWS_ENDPOINT_URL"]}, ALL_PROFILE, {}, None),
    "services_section_beats_profile_url": ({}, ALL_PROFILE, {}, None),
    "profile_url_last": ({}, f"[profile t]\nendpoint_url = {URLS['profile']}\n", {}, None),
    "services_global_url_is_not_read": (
        {},
        f"[profile t]\nendpoint_url = {URLS['profile']}\nservices = local\n"
        f"[services local]\nendpoint_url = {URLS['services_section']}\n",
        {},
        None,
    ),
    "ignored_by_env": ({**ENV_BOTH, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, ALL_PROFILE, {}, None),
    "ignored_by_profile": (ENV_BOTH, IGNORING_PROFILE, {}, None),
    "ignored_by_config": (ENV_BOTH, ALL_PROFILE, {"ignore_configured_endpoint_urls": True}, None),
    "ignored_but_argument_kept": (
        {**ENV_BOTH, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
        ALL_PROFILE,
        {},
        URLS["argument"],
    ),
    "env_false_beats_profile_true": (
        {**ENV_BOTH, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
        IGNORING_PROFILE,
        {},
        None,
    ),
    "config_false_beats_env_true": (
        {**ENV_BOTH, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
        ALL_PROFILE,
        {"ignore_configured_endpoint_urls": False},
        None,
    ),
}


@pytest.mark.usefixtures("env_credentials")
@pytest.mark.parametrize("case", list(PRECEDENCE))
def test_precedence_matches_botocore(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, config_text, config_kwargs, argument = PRECEDENCE[case]
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    write_config(tmp_path, monkeypatch, config_text)
    config = botocore.config.Config(**config_kwargs)
    kw: dict[str, Any] = {"region_name": REGION, "config": config}
    if argument is not None:
        kw["endpoint_url"] = argument
    expected = boto3.Session(profile_name="t").client("s3", **kw).meta.endpoint_url
    client = s3seal.Session(profile_name="t").client("s3", **kw)
    assert client.endpoint_url == client.meta.endpoint_url == expected


@pytest.mark.usefixtures("env_credentials")
def test_s3seal_config_can_ignore_configured_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", URLS["AWS_ENDPOINT_URL_S3"])
    config = s3seal.Config(ignore_configured_endpoint_urls=True)
    ignoring = botocore.config.Config(ignore_configured_endpoint_urls=True)
    expected = boto3.Session().client("s3", region_name=REGION, config=ignoring).meta.endpoint_url
    assert expected != URLS["AWS_ENDPOINT_URL_S3"]
    assert s3seal.client("s3", region_name=REGION).endpoint_url == URLS["AWS_ENDPOINT_URL_S3"]
    assert s3seal.client("s3", region_name=REGION, config=config).endpoint_url == expected


@pytest.mark.usefixtures("env_credentials")
def test_missing_services_section_is_botocores_invalid_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, "[profile t]\nservices = nowhere\n")
    with pytest.raises(botocore.exceptions.InvalidConfigError) as theirs:
        boto3.Session(profile_name="t").client("s3", region_name=REGION)
    with pytest.raises(exceptions.InvalidConfigError) as ours:
        s3seal.Session(profile_name="t").client("s3", region_name=REGION)
    assert isinstance(ours.value, botocore.exceptions.InvalidConfigError)
    assert str(ours.value) == str(theirs.value)
