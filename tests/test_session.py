"""Sessions, profiles and credentials; the seeds' scripts; transport policy; key hygiene."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.exceptions
import pytest
import s3seal
from conftest import ROOT, SECRETS, SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5
from s3seal import exceptions


def test_unknown_profile_raises_profile_not_found() -> None:
    with pytest.raises(exceptions.ProfileNotFound) as err:
        s3seal.Session(profile_name="no-such-profile")
    assert str(err.value) == "The config profile (no-such-profile) could not be found"
    assert isinstance(err.value, botocore.exceptions.ProfileNotFound)


def test_no_credentials_raises_at_first_call(ministack) -> None:
    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
    with pytest.raises(exceptions.NoCredentialsError) as err:
        client.list_objects_v2(Bucket="b")
    assert str(err.value) == "Unable to locate credentials"


def test_profile_from_config_file(
    ministack, mbucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile seed]\n"
        f"aws_access_key_id = {ministack.access_key}\n"
        f"aws_secret_access_key = {ministack.secret_key}\n"
        "region = us-east-1\n"
        f"endpoint_url = {ministack.url}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    client = s3seal.Session(profile_name="seed").client("s3")
    client.put_object(Bucket=mbucket, Key="p", Body=b"via profile")
    assert client.get_object(Bucket=mbucket, Key="p")["Body"].read() == b"via profile"


def test_seed_scripts_run_with_only_the_import_changed(ministack, mbucket, tmp_path: Path) -> None:
    pytest.importorskip("dotenv")
    for script in ("upload_sse_c.py", "download_sse_c.py"):
        shutil.copy(ROOT / "tests" / "seeds" / script, tmp_path / script)
    image = os.urandom(50_000)
    (tmp_path / "sample.jpg").write_bytes(image)
    (tmp_path / "tmp").mkdir()
    (tmp_path / ".env").write_text(
        f"BUCKET_NAME='{mbucket}'\nKEY='sample.jpg'\n"
        f"SSE_CUSTOMER_KEY_BASE64='{SSE_KEY_B64}'\nSSE_CUSTOMER_KEY_MD5='{SSE_KEY_MD5}'\nPROFILE='seed'\n"
    )
    (tmp_path / "config").write_text(
        f"[profile seed]\naws_access_key_id = {ministack.access_key}\n"
        f"aws_secret_access_key = {ministack.secret_key}\nregion = us-east-1\nendpoint_url = {ministack.url}\n"
    )
    env = {**os.environ, "AWS_CONFIG_FILE": str(tmp_path / "config")}
    for script in ("upload_sse_c.py", "download_sse_c.py"):
        run = subprocess.run([sys.executable, script], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert not any(s in run.stdout + run.stderr for s in SECRETS)
    (downloaded,) = (tmp_path / "tmp").iterdir()
    assert downloaded.read_bytes() == image


def test_sse_c_over_plain_http_is_refused_off_this_machine() -> None:
    client = s3seal.client(
        "s3", endpoint_url="http://s3.example.invalid", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with pytest.raises(exceptions.InsecureTransportError) as err:
        client.put_object(
            Bucket="b", Key="k", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
        )
    assert "allow_sse_c_over_http" in str(err.value)
    with pytest.raises(exceptions.InsecureTransportError):
        client.copy_object(Bucket="b", Key="k", CopySource="b/src", CopySourceSSECustomerKey=SSE_KEY)


def test_sse_c_over_http_opt_out_sends() -> None:
    client = s3seal.client(
        "s3",
        endpoint_url="http://s3.example.invalid",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=s3seal.Config(s3={"allow_sse_c_over_http": True}, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(exceptions.EndpointConnectionError):  # .invalid never resolves
        client.put_object(
            Bucket="b", Key="k", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
        )


def test_connection_refused_maps_to_endpoint_connection_error() -> None:
    client = s3seal.client(
        "s3",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=s3seal.Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(exceptions.EndpointConnectionError) as err:
        client.get_object(Bucket="b", Key="k")
    assert str(err.value) == 'Could not connect to the endpoint URL: "http://127.0.0.1:1/b/k"'


def test_no_key_material_in_messages_or_reprs(ms3, mbucket) -> None:
    texts = []
    bad_calls = [
        dict(SSECustomerKey=SSE_KEY, SSECustomerKeyMD5=SSE_KEY_MD5),  # bytes key with MD5: type error
        dict(SSECustomerKey=SSE_KEY_B64, SSECustomerKeyMD5=None),
        dict(SSEKMSKeyId=12345678),
        dict(SSEKMSKeyId="alias/s3seal-test-kms-key", Foo="bar"),
    ]
    for extra in bad_calls:
        with pytest.raises(exceptions.ParamValidationError) as err:
            ms3.put_object(Bucket=mbucket, Key="k", Body=b"x", **extra)
        texts += [str(err.value), repr(err.value), repr(err.value.kwargs)]
    with pytest.raises(exceptions.ClientError) as err:
        ms3.put_object(
            Bucket=mbucket, Key="k", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY_B64
        )
    texts += [str(err.value), repr(err.value.response)]
    session = s3seal.Session(aws_access_key_id="AKIDSECRETID", aws_secret_access_key="topsecretcredential")
    texts += [repr(session), repr(ms3)]
    joined = "\n".join(texts)
    for secret in [*SECRETS, "topsecretcredential", "12345678"]:
        assert secret not in joined
    assert "<redacted" in joined


def test_exceptions_pickle_and_keep_their_shape(ms3, mbucket) -> None:
    with pytest.raises(ms3.exceptions.NoSuchKey) as err:
        ms3.get_object(Bucket=mbucket, Key="missing")
    clone = pickle.loads(pickle.dumps(err.value))
    assert isinstance(clone, exceptions.ClientError)
    assert clone.response == err.value.response and clone.operation_name == "GetObject"
    pv = pickle.loads(pickle.dumps(exceptions.ParamValidationError(report="r")))
    assert str(pv) == "Parameter validation failed:\nr"


def test_import_leaves_boto3_unloaded_until_its_classes_are_used() -> None:
    # The classes that subclass boto3's and botocore.parsers' are made on first use: a command
    # line run should not pay for importing boto3. Once made they are boto3's subclasses, and
    # pickle by name like any module-level class.
    script = """
import pickle, sys
import s3seal, s3seal.cli
assert "boto3" not in sys.modules and "botocore.parsers" not in sys.modules, sorted(sys.modules)
from s3seal.exceptions import S3UploadFailedError, RetriesExceededError, ResponseParserError
import boto3.exceptions, botocore.parsers
assert issubclass(S3UploadFailedError, boto3.exceptions.S3UploadFailedError)
assert issubclass(s3seal.exceptions.S3TransferFailedError, boto3.exceptions.S3TransferFailedError)
assert s3seal.exceptions.Boto3Error is boto3.exceptions.Boto3Error
assert issubclass(ResponseParserError, botocore.parsers.ResponseParserError)
clone = pickle.loads(pickle.dumps(S3UploadFailedError("Failed to upload f to b/k: x")))
assert type(clone) is S3UploadFailedError and str(clone) == "Failed to upload f to b/k: x"
retries = pickle.loads(pickle.dumps(RetriesExceededError(ValueError("v"))))
assert type(retries) is RetriesExceededError and str(retries) == "Max Retries Exceeded"
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_non_ascii_metadata_is_refused(ms3, mbucket) -> None:
    with pytest.raises(exceptions.ParamValidationError, match="Non ascii characters found in S3 metadata"):
        ms3.put_object(Bucket=mbucket, Key="k", Body=b"x", Metadata={"k": "é"})
    # botocore crashes with AttributeError on a non-str value; s3seal reports the type.
    with pytest.raises(exceptions.ParamValidationError, match=r"Invalid type for parameter Metadata\.k"):
        ms3.put_object(Bucket=mbucket, Key="k", Body=b"x", Metadata={"k": 1})


def test_botocore_config_is_accepted(ministack, mbucket) -> None:
    from botocore.config import Config

    cfg = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=5,
        read_timeout=5,
        max_pool_connections=4,
        s3={"addressing_style": "path"},
    )
    client = s3seal.client("s3", config=cfg, **ministack.client_kwargs())
    client.put_object(Bucket=mbucket, Key="cfg", Body=b"ok")
    assert client.get_object(Bucket=mbucket, Key="cfg")["Body"].read() == b"ok"


def test_korean_seed_kms_upload_runs_with_only_the_import_changed(ministack, ms3, tmp_path: Path) -> None:
    """The first seed's upload_fileobj + SSE-KMS ExtraArgs snippet, verbatim but the import."""
    try:
        ms3.create_bucket(Bucket="bucket-name")
    except exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    shutil.copy(ROOT / "tests" / "seeds" / "upload_s3_with_kms.py", tmp_path)
    content = os.urandom(9 * 1024 * 1024)  # above the threshold: a multipart upload
    (tmp_path / "file.txt").write_bytes(content)
    (tmp_path / "config").write_text(
        f"[default]\naws_access_key_id = {ministack.access_key}\n"
        f"aws_secret_access_key = {ministack.secret_key}\nregion = us-east-1\nendpoint_url = {ministack.url}\n"
    )
    env = {**os.environ, "AWS_CONFIG_FILE": str(tmp_path / "config")}
    run = subprocess.run(
        [sys.executable, "upload_s3_with_kms.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    head = ms3.head_object(Bucket="bucket-name", Key="file.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith("kms-key-id")
    assert head["ETag"].endswith('-2"')
    assert s3seal.download(Bucket="bucket-name", Key="file.txt", client=ms3) == content
