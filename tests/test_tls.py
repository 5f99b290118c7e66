"""TLS like botocore, through a real TLS terminator on 127.0.0.1 in front of ministack.

Each case runs through s3seal and boto3 and must end the same way: a round trip that works,
or ``botocore.exceptions.SSLError`` naming the reason. s3seal must not retry a certificate
failure (nothing a retry could fix). What to trust follows botocore: ``verify`` (a CA bundle
path, or False), else ``AWS_CA_BUNDLE``, else the profile's ``ca_bundle``.
"""

from __future__ import annotations

import pickle
import re
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
from test_endpoint_sources import loopback_hostname
from tls import Certificates, TlsTerminator

MIB = 1024 * 1024
SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
IMPLEMENTATIONS = {"s3seal": s3seal, "boto3": boto3}

# The reason each failure must name, in OpenSSL's words (boto3) or rustls' (s3seal).
UNKNOWN_CA = r"certificate verify failed|unknown ?issuer|self.signed|issuer"
EXPIRED = r"expired"
MISMATCH = r"mismatch|not ?valid ?for ?name|hostname"

# case -> (terminator, verify, AWS_CA_BUNDLE, profile ca_bundle, expected: None = works)
# verify / bundles name a Certificates attribute ("ca", "wrong_ca") or are False / None.
CASES: dict[str, tuple[str, Any, str | None, str | None, str | None]] = {
    "good_ca": ("good", "ca", None, None, None),
    "wrong_ca": ("good", "wrong_ca", None, None, UNKNOWN_CA),
    "no_ca_configured": ("good", None, None, None, UNKNOWN_CA),
    "expired": ("expired", "ca", None, None, EXPIRED),
    "hostname_mismatch": ("mismatch", "ca", None, None, MISMATCH),
    "verify_false_expired": ("expired", False, None, None, None),
    "verify_false_unknown_ca": ("good", False, None, None, None),
    "aws_ca_bundle": ("good", None, "ca", None, None),
    "profile_ca_bundle": ("good", None, None, "ca", None),
    "env_beats_profile": ("good", None, "wrong_ca", "ca", UNKNOWN_CA),
    "verify_beats_env": ("good", "ca", "wrong_ca", None, None),
}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.make(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def terminators(ministack: Any, certs: Certificates) -> Iterator[dict[str, TlsTerminator]]:
    running = {
        name: TlsTerminator(ministack.port, getattr(certs, name)).start()
        for name in ("good", "expired", "mismatch")
    }
    yield running
    for terminator in running.values():
        terminator.stop()


@pytest.fixture(autouse=True)
def no_preset_trust(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """These machines preset the system bundle; every case here says what it trusts."""
    for var in ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def resolve(certs: Certificates, name: Any) -> Any:
    return getattr(certs, name) if isinstance(name, str) else name


def make_client(impl: str, url: str, ministack: Any, verify: Any) -> Any:
    kwargs: dict[str, Any] = {**ministack.client_kwargs(), "endpoint_url": url}
    if impl == "boto3":
        # boto3 retries SSLError with backoff (4-10 s a case, measured): its outcome is the
        # reference, not its timing. s3seal keeps its default retries, to show it does not.
        kwargs["config"] = botocore.config.Config(retries={"total_max_attempts": 1})
    return IMPLEMENTATIONS[impl].Session().client("s3", verify=verify, **kwargs)


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_tls_outcome_matches_botocore(
    case: str,
    impl: str,
    ministack: Any,
    mbucket: str,
    certs: Certificates,
    terminators: dict[str, TlsTerminator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminator, verify, env_bundle, profile_bundle, failure = CASES[case]
    if env_bundle is not None:
        monkeypatch.setenv("AWS_CA_BUNDLE", resolve(certs, env_bundle))
    if profile_bundle is not None:
        (tmp_path / "config").write_text(f"[default]\nca_bundle = {resolve(certs, profile_bundle)}\n")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    client = make_client(impl, terminators[terminator].url, ministack, resolve(certs, verify))
    started = time.monotonic()
    if failure is None:
        client.put_object(Bucket=mbucket, Key=f"{case}-{impl}", Body=b"over tls")
        assert client.get_object(Bucket=mbucket, Key=f"{case}-{impl}")["Body"].read() == b"over tls"
        return
    with pytest.raises(botocore.exceptions.SSLError) as err:
        client.put_object(Bucket=mbucket, Key=f"{case}-{impl}", Body=b"never sent")
    elapsed = time.monotonic() - started
    assert re.search(failure, str(err.value), re.IGNORECASE), str(err.value)
    if impl == "s3seal":
        # Nothing a retry could fix: s3seal fails at once, with its default retry config.
        assert elapsed < 2.0, f"{elapsed:.2f}s: a certificate failure was retried"


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_sse_c_round_trip_over_tls(
    impl: str,
    ministack: Any,
    mbucket: str,
    certs: Certificates,
    terminators: dict[str, TlsTerminator],
    tmp_path: Path,
) -> None:
    client = make_client(impl, terminators["good"].url, ministack, certs.ca)
    client.put_object(Bucket=mbucket, Key="small", Body=b"sealed", **SSEC)
    assert client.get_object(Bucket=mbucket, Key="small", **SSEC)["Body"].read() == b"sealed"
    # Above the multipart threshold: every part, the completion and the ranged GETs too.
    data = bytes(range(256)) * (9 * MIB // 256)
    (tmp_path / "src").write_bytes(data)
    client.upload_file(str(tmp_path / "src"), mbucket, "big", ExtraArgs=SSEC)
    client.download_file(mbucket, "big", str(tmp_path / "dst"), ExtraArgs=SSEC)
    assert (tmp_path / "dst").read_bytes() == data


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_sse_c_over_tls_to_a_host_by_name(
    impl: str, ministack: Any, mbucket: str, certs: Certificates, terminators: dict[str, TlsTerminator]
) -> None:
    """Off loopback (judged by name), https is what makes SSE-C allowed: nothing refused."""
    url = f"https://{loopback_hostname()}:{terminators['good'].port}"
    client = make_client(impl, url, ministack, certs.ca)
    client.put_object(Bucket=mbucket, Key="by-name", Body=b"sealed by name", **SSEC)
    assert client.get_object(Bucket=mbucket, Key="by-name", **SSEC)["Body"].read() == b"sealed by name"


def test_ssl_error_is_botocores_class_and_message() -> None:
    kwargs = {"endpoint_url": "https://127.0.0.1:1/b/k", "error": "invalid peer certificate: UnknownIssuer"}
    ours = s3seal.exceptions.SSLError(**kwargs)
    assert isinstance(ours, botocore.exceptions.SSLError)
    assert str(ours) == str(botocore.exceptions.SSLError(**kwargs))
    clone = pickle.loads(pickle.dumps(ours))
    assert type(clone) is type(ours) and str(clone) == str(ours)
