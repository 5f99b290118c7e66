"""Customer keys (s3seal.keys): generation, loaders, .env round trip, keygen, secrecy,
pickling by reference, and the pass-through params() against s3seal and boto3."""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import OTHER_KEY, SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5
from s3seal.keys import (
    KEY_TAG,
    CustomerKey,
    CustomerKeyError,
    KeyRing,
    NoMatchingKeyError,
    main_keygen,
    record_key_tag,
)

OTHER_B64 = base64.b64encode(OTHER_KEY).decode()


def md5_b64(raw: bytes) -> str:
    return base64.b64encode(hashlib.md5(raw).digest()).decode()


def assert_no_key(text: str | bytes, *raws: bytes) -> None:
    """Neither the raw bytes nor the base64 of any of ``raws`` occurs in ``text``."""
    data = text.encode() if isinstance(text, str) else text
    for raw in raws:
        assert raw not in data and base64.b64encode(raw) not in data, "key material leaked"


# -- loaders --------------------------------------------------------------------------------


def test_generate_gives_distinct_32_byte_keys() -> None:
    a, b = CustomerKey.generate(), CustomerKey.generate()
    raw = base64.b64decode(a.b64)
    assert len(raw) == 32 and a.md5 == md5_b64(raw)
    assert a != b and a.b64 != b.b64


def test_from_base64_checks_the_md5() -> None:
    key = CustomerKey.from_base64(SSE_KEY_B64, md5=SSE_KEY_MD5)
    assert key.b64 == SSE_KEY_B64 and key.md5 == SSE_KEY_MD5
    assert CustomerKey.from_base64(SSE_KEY_B64).md5 == SSE_KEY_MD5  # MD5 optional
    with pytest.raises(CustomerKeyError, match="MD5 mismatch") as err:
        CustomerKey.from_base64(SSE_KEY_B64, md5=md5_b64(OTHER_KEY))
    assert_no_key(str(err.value), SSE_KEY)
    assert err.value.__cause__ is None


@pytest.mark.parametrize(
    "value, match",
    [
        ("not base64 !!", "not valid base64"),
        (base64.b64encode(bytes(16)).decode(), "32 bytes"),
        (base64.b64encode(SSE_KEY_B64.encode()).decode(), "32 bytes"),  # the double-encoding mistake
    ],
)
def test_from_base64_refuses_malformed_keys(value: str, match: str) -> None:
    with pytest.raises(CustomerKeyError, match=match) as err:
        CustomerKey.from_base64(value)
    assert value not in str(err.value) and err.value.__cause__ is None


def test_from_bytes_copies_the_key() -> None:
    raw = bytearray(SSE_KEY)
    key = CustomerKey.from_bytes(raw)
    raw[:] = bytes(32)
    assert key.md5 == SSE_KEY_MD5
    with pytest.raises(CustomerKeyError, match="32 bytes"):
        CustomerKey.from_bytes(b"short")
    with pytest.raises(TypeError, match="from_bytes"):
        CustomerKey(SSE_KEY)  # type: ignore[arg-type]  # bytes could not be zeroed


def test_from_file_reads_32_raw_bytes(tmp_path: Path) -> None:
    good = tmp_path / "k.bin"
    good.write_bytes(SSE_KEY)
    key = CustomerKey.from_file(good)
    assert key.md5 == SSE_KEY_MD5 and key.reference == f"fileb://{good}"
    for name, content in [
        ("b64.key", SSE_KEY_B64.encode()),
        ("short.key", SSE_KEY[:31]),
        ("nl.key", SSE_KEY + b"\n"),
    ]:
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(CustomerKeyError, match="exactly 32 raw bytes") as err:
            CustomerKey.from_file(bad)
        assert_no_key(str(err.value), SSE_KEY)


def test_from_env_reads_the_seed_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSE_CUSTOMER_KEY_BASE64", SSE_KEY_B64)
    monkeypatch.setenv("SSE_CUSTOMER_KEY_MD5", SSE_KEY_MD5)
    key = CustomerKey.from_env()
    assert key.md5 == SSE_KEY_MD5 and key.reference == "env:SSE_CUSTOMER_KEY"
    monkeypatch.setenv("SSE_CUSTOMER_KEY_MD5", md5_b64(OTHER_KEY))
    with pytest.raises(CustomerKeyError, match="MD5 mismatch for SSE_CUSTOMER_KEY_BASE64") as err:
        CustomerKey.from_env()
    assert_no_key(str(err.value), SSE_KEY)
    with pytest.raises(CustomerKeyError, match="NOPE_BASE64 is not set"):
        CustomerKey.from_env("NOPE")
    assert CustomerKey.from_env("X", environ={"X_BASE64": OTHER_B64}).md5 == md5_b64(OTHER_KEY)


def test_from_reference() -> None:
    with pytest.raises(CustomerKeyError, match="fileb://PATH"):
        CustomerKey.from_reference(SSE_KEY_B64)


# -- secrecy --------------------------------------------------------------------------------


def test_repr_str_and_state_show_the_md5_only() -> None:
    key = CustomerKey.from_bytes(SSE_KEY)
    for text in (repr(key), str(key), f"{key}", repr([key]), repr(KeyRing([key]))):
        assert SSE_KEY_MD5 in text
        assert_no_key(text, SSE_KEY)
    assert not hasattr(key, "__dict__")


def test_close_zeroes_the_buffer() -> None:
    key = CustomerKey.from_bytes(SSE_KEY)
    buf = key._buf  # the one buffer the key owns
    assert buf == bytearray(SSE_KEY)
    with key:
        pass
    assert buf == bytearray(32) and key.closed
    with pytest.raises(ValueError, match="closed"):
        key.params()
    assert "closed" in repr(key)


def test_key_from_bytes_refuses_to_pickle() -> None:
    key = CustomerKey.from_bytes(SSE_KEY)
    with pytest.raises(TypeError, match="raw key material") as err:
        pickle.dumps(key)
    assert_no_key(str(err.value), SSE_KEY)
    with pytest.raises(TypeError, match="raw key material"):
        pickle.dumps(KeyRing([key]))
    assert copy.deepcopy({"k": key})["k"] is key  # copies are the same immutable value


def test_key_pickles_as_its_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "k.bin"
    path.write_bytes(OTHER_KEY)
    monkeypatch.setenv("ROT_BASE64", SSE_KEY_B64)
    ring = KeyRing([CustomerKey.from_env("ROT"), CustomerKey.from_file(path)])
    data = pickle.dumps(ring)
    assert_no_key(data, SSE_KEY, OTHER_KEY)
    assert b"ROT" in data and str(path).encode() in data
    clone = pickle.loads(data)
    assert [k.md5 for k in clone] == [SSE_KEY_MD5, md5_b64(OTHER_KEY)]
    # A receiver whose reference holds another key refuses it rather than use the wrong key.
    monkeypatch.setenv("ROT_BASE64", OTHER_B64)
    with pytest.raises(CustomerKeyError, match="refusing to use a different key"):
        pickle.loads(data)


# -- keygen and .env ------------------------------------------------------------------------


def test_keygen_env_file_round_trips_through_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dotenv import dotenv_values, load_dotenv

    env = tmp_path / ".env"
    assert main_keygen(["--env", "--out", str(env)]) == 0
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    values = dotenv_values(env)
    assert set(values) == {"SSE_CUSTOMER_KEY_BASE64", "SSE_CUSTOMER_KEY_MD5"}
    monkeypatch.delenv("SSE_CUSTOMER_KEY_BASE64", raising=False)
    monkeypatch.delenv("SSE_CUSTOMER_KEY_MD5", raising=False)
    load_dotenv(dotenv_path=env)  # the seed's recipe
    try:
        key = CustomerKey.from_env()
        assert key.b64 == values["SSE_CUSTOMER_KEY_BASE64"] and key.md5 == values["SSE_CUSTOMER_KEY_MD5"]
    finally:
        os.environ.pop("SSE_CUSTOMER_KEY_BASE64", None)
        os.environ.pop("SSE_CUSTOMER_KEY_MD5", None)


def test_keygen_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "k.env"
    out.write_text("precious\n")
    assert main_keygen(["--out", str(out)]) == 1
    assert out.read_text() == "precious\n"
    assert "refusing to overwrite" in capsys.readouterr().err


def test_keygen_raw_writes_what_fileb_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "k.bin"
    assert main_keygen(["--raw", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.stat().st_size == 32
    key = CustomerKey.from_file(out)
    captured = capsys.readouterr()
    assert key.md5 in captured.err and captured.out == ""
    assert_no_key(captured.err, out.read_bytes())
    with pytest.raises(SystemExit):
        main_keygen(["--raw"])  # binary bytes never go to stdout


def test_keygen_prints_env_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_keygen([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["SSE_CUSTOMER_KEY_BASE64", "SSE_CUSTOMER_KEY_MD5"]
    b64, md5 = (line.split("=", 1)[1].strip("'") for line in lines)
    assert CustomerKey.from_base64(b64, md5).md5 == md5


# -- against servers ------------------------------------------------------------------------


def test_params_work_with_s3seal_and_boto3(ms3: Any, mboto: Any, mbucket: str, tmp_path: Path) -> None:
    key, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    ms3.put_object(Bucket=mbucket, Key="a", Body=b"hello", **key.params())
    assert mboto.get_object(Bucket=mbucket, Key="a", **key.params())["Body"].read() == b"hello"
    assert ms3.head_object(Bucket=mbucket, Key="a", **key.params())["SSECustomerKeyMD5"] == key.md5
    src = tmp_path / "src"
    src.write_bytes(os.urandom(300_000))
    for writer, reader in [(ms3, mboto), (mboto, ms3)]:
        name = f"f-{type(writer).__module__}"
        writer.upload_file(str(src), mbucket, name, ExtraArgs=key.params())
        reader.download_file(mbucket, name, str(tmp_path / "dst"), ExtraArgs=key.params())
        assert (tmp_path / "dst").read_bytes() == src.read_bytes()
        extra = {**key.copy_source_params(), **new.params()}
        writer.copy({"Bucket": mbucket, "Key": name}, mbucket, name + "-copy", ExtraArgs=extra)
        assert (
            reader.head_object(Bucket=mbucket, Key=name + "-copy", **new.params())["ContentLength"] == 300_000
        )
        with pytest.raises(Exception) as err:
            reader.head_object(Bucket=mbucket, Key=name + "-copy", **key.params())
        assert err.value.response["Error"]["Code"] in {"400", "403"}


class CountingClient:
    """A client wrapper counting HEAD requests."""

    def __init__(self, client: Any) -> None:
        self.client, self.heads = client, 0

    def head_object(self, **kwargs: Any) -> Any:
        self.heads += 1
        return self.client.head_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_keyring_finds_the_key(ms3: Any, mbucket: str) -> None:
    keys = [CustomerKey.generate() for _ in range(4)]
    for i, key in enumerate(keys):
        ms3.put_object(Bucket=mbucket, Key=f"o{i}", Body=b"x", **key.params())
    ms3.put_object(Bucket=mbucket, Key="plain", Body=b"x")
    ring = KeyRing(keys[:3])
    for i in range(3):
        assert ring.key_for(ms3, Bucket=mbucket, Key=f"o{i}") is keys[i]
        assert ring.params_for(ms3, Bucket=mbucket, Key=f"o{i}") == keys[i].params()
    assert ring.key_for(ms3, Bucket=mbucket, Key="o3") is None  # not in the ring
    assert ring.key_for(ms3, Bucket=mbucket, Key="plain") is None  # not SSE-C at all
    with pytest.raises(NoMatchingKeyError, match="o3"):
        ring.params_for(ms3, Bucket=mbucket, Key="o3")
    with pytest.raises(Exception) as err:
        ring.key_for(ms3, Bucket=mbucket, Key="missing")
    assert err.value.response["Error"]["Code"] == "404"


def test_keyring_uses_the_recorded_tag(ms3: Any, mbucket: str) -> None:
    keys = [CustomerKey.generate() for _ in range(5)]
    last = keys[-1]
    ms3.put_object(Bucket=mbucket, Key="o", Body=b"x", Tagging="team=a", **last.params())
    record_key_tag(ms3, last, Bucket=mbucket, Key="o")
    tags = {t["Key"]: t["Value"] for t in ms3.get_object_tagging(Bucket=mbucket, Key="o")["TagSet"]}
    assert tags == {"team": "a", KEY_TAG: last.md5}
    counting = CountingClient(ms3)
    assert KeyRing(keys).key_for(counting, Bucket=mbucket, Key="o", use_tag=True) is last
    assert counting.heads == 1
    assert KeyRing(keys).key_for(counting, Bucket=mbucket, Key="o") is last
    assert counting.heads == 1 + 5
