"""The seeds' command lines, verbatim with ``aws`` replaced by ``s3seal``, next to the real
AWS CLI. The Japanese seed keeps its keys in a ``.env`` read by ``source ./.env`` in shell
and by python-dotenv in Python; its lines name a profile and no endpoint, so the profile
carries the endpoint (``endpoint_url`` in the config file) and the credentials. Each test runs
on ministack and on Garage."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import AWS, ROOT, Result, assert_same, both, env_for, scrub
from conftest import SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5
from dotenv import dotenv_values

pytestmark = pytest.mark.slow

# 004: the two shell scripts of the article, unchanged but for the command's name.
UPLOAD = """#!/bin/bash
# ./.envファイルを読み込んで変数として参照できるようにする
source ./.env
aws s3api put-object \\
--bucket $BUCKET_NAME \\
--key $KEY \\
--body $KEY \\
--sse-customer-algorithm AES256 \\
--sse-customer-key $SSE_CUSTOMER_KEY_BASE64 \\
--sse-customer-key-md5 $SSE_CUSTOMER_KEY_MD5 \\
--profile $PROFILE
"""
DOWNLOAD = """#!/bin/bash
# ./.envファイルを読み込んで変数として参照できるようにする
source ./.env
UUID=`uuidgen`
IMG_PATH="tmp/${UUID}.jpg"
aws s3api get-object $IMG_PATH \\
--bucket $BUCKET_NAME \\
--key $KEY \\
--sse-customer-algorithm AES256 \\
--sse-customer-key $SSE_CUSTOMER_KEY_BASE64 \\
--sse-customer-key-md5 $SSE_CUSTOMER_KEY_MD5 \\
--profile $PROFILE
"""


@pytest.fixture
def boto(server: Any) -> Any:
    import boto3

    return boto3.client("s3", **server.client_kwargs())


@pytest.fixture
def seed_dir(tmp_path: Path, server: Any, bucket: str) -> Path:
    (tmp_path / ".env").write_text(
        f"BUCKET_NAME='{bucket}'\nKEY='sample.jpg'\nSSE_CUSTOMER_KEY_BASE64='{SSE_KEY_B64}'\n"
        f"SSE_CUSTOMER_KEY_MD5='{SSE_KEY_MD5}'\nPROFILE='seed'\n"
    )
    (tmp_path / "sample.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 100)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "config").write_text(f"[profile seed]\nregion = us-east-1\nendpoint_url = {server.url}\n")
    (tmp_path / "credentials").write_text(
        f"[seed]\naws_access_key_id = {server.access_key}\naws_secret_access_key = {server.secret_key}\n"
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "uuidgen", f"#!/bin/sh\nexec {sys.executable} -c 'import uuid; print(uuid.uuid4())'\n")
    # `s3seal` as the console script would install it (the worktree is not pip-installed).
    _script(
        bin_dir / "s3seal", f'#!/bin/sh\nPYTHONPATH={ROOT / "python"} exec {sys.executable} -m s3seal "$@"\n'
    )
    _script(bin_dir / "aws", f'#!/bin/sh\nexec {AWS} "$@"\n')
    return tmp_path


def _script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _bash(seed_dir: Path, script: str, tool: str) -> Result:
    """The seed's script through bash, with only ``aws`` replaced by the tool's name."""
    text = script.replace("\naws ", f"\n{tool} ")
    env = {
        "PATH": f"{seed_dir / 'bin'}:/usr/bin:/bin",
        "HOME": str(seed_dir),
        "AWS_CONFIG_FILE": str(seed_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(seed_dir / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    proc = subprocess.run(["bash", "-c", text], cwd=seed_dir, env=env, capture_output=True, timeout=120)
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def test_japanese_seed_scripts_run_with_s3seal(seed_dir: Path, server: Any, boto: Any, bucket: str) -> None:
    values = dotenv_values(seed_dir / ".env")  # as the seed's Python half reads them
    results = {}
    for tool in ("aws", "s3seal"):
        up = _bash(seed_dir, UPLOAD, tool)
        assert up.rc == 0, scrub(up.err)
        got = boto.get_object(
            Bucket=values["BUCKET_NAME"],
            Key=values["KEY"],
            SSECustomerAlgorithm="AES256",
            SSECustomerKey=SSE_KEY,
        )["Body"].read()
        assert got == (seed_dir / "sample.jpg").read_bytes()
        before = set((seed_dir / "tmp").iterdir())
        down = _bash(seed_dir, DOWNLOAD, tool)
        assert down.rc == 0, scrub(down.err)
        (written,) = set((seed_dir / "tmp").iterdir()) - before
        assert written.read_bytes() == got
        results[tool] = (up, down)
    # Garage's ETag of an SSE-C object is random, not the plaintext's MD5.
    ignore = ("ETag",) if server.name == "garage" else ()
    for aws, ours in zip(results["aws"], results["s3seal"], strict=True):
        assert_same(aws, ours, "seed 004", ignore=ignore)
    for up, down in results.values():
        assert SSE_KEY_B64 not in up.out + up.err + down.out + down.err


@pytest.mark.parametrize(
    "line",
    [
        "aws s3 cp <object> s3://<bucket>/<key>",
        "aws s3 cp <object> s3://<bucket>/<key> --sse-c-key <encryption-key>",
        "aws s3 cp <object> s3://<bucket>/<key> --sse aws:kms --sse-kms-key-id",
    ],
)
def test_korean_seed_lines(server: Any, bucket: str, boto: Any, tmp_path: Path, line: str) -> None:
    """000: the three lines, placeholders filled (the key as ``fileb://``); the second is refused
    by the AWS CLI (no --sse-c) and the third lacks the key id's value: s3seal does the same."""
    (tmp_path / "object.txt").write_text("seed 000\n")
    (tmp_path / "key.bin").write_bytes(SSE_KEY)
    words = (
        line.replace("<object>", "object.txt")
        .replace("<bucket>", bucket)
        .replace("<key>", "seed.txt")
        .replace("<encryption-key>", "fileb://key.bin")
        .split()[1:]
    )
    aws, ours = both(server, words, tmp_path)
    assert_same(aws, ours, line, compare_json=False)
    assert aws.results() == ours.results()
    if "--sse" in line or "--sse-c-key" in line:
        assert aws.rc != 0
    else:
        assert ours.rc == 0
        assert boto.get_object(Bucket=bucket, Key="seed.txt")["Body"].read() == b"seed 000\n"


def test_seed_kms_line_with_a_key_id(server: Any, bucket: str, tmp_path: Path) -> None:
    """The KMS line completed with an id: the same outcome as the AWS CLI on this server."""
    if server.name == "garage":
        pytest.skip("Garage has no SSE-KMS")
    (tmp_path / "object.txt").write_text("kms\n")
    args = [
        "s3",
        "cp",
        "object.txt",
        f"s3://{bucket}/kms.txt",
        "--sse",
        "aws:kms",
        "--sse-kms-key-id",
        "kms-key-id",
        "--no-progress",
    ]
    aws, ours = both(server, args, tmp_path)
    assert_same(aws, ours, "kms", compare_json=False)
    assert env_for(server)  # the env the two ran with had the server's keys
