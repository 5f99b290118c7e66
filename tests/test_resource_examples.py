"""AWS-style resource programs (``tests/examples``) run as written with boto3, and again with
only ``import boto3`` changed to ``import s3seal as boto3``: the same observations."""

from __future__ import annotations

import types
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import s3seal.session

EXAMPLES = Path(__file__).resolve().parent / "examples"
IMPORT = "import boto3\n"


@pytest.fixture
def default_endpoint(ministack, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The examples call ``boto3.resource('s3')`` with no arguments: point the environment
    (and fresh default sessions of both SDKs) at ministack."""
    kwargs = ministack.client_kwargs()
    monkeypatch.setenv("AWS_ENDPOINT_URL", kwargs["endpoint_url"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", kwargs["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", kwargs["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", kwargs["region_name"])
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    monkeypatch.setattr(s3seal.session, "_default_session", None)


def _load(name: str, sdk: str) -> Any:
    """The example module, as written (boto3) or with its one import line changed (s3seal)."""
    source = (EXAMPLES / f"{name}.py").read_text()
    assert source.count(IMPORT) == 1
    if sdk == "s3seal":
        source = source.replace(IMPORT, "import s3seal as boto3\n")
    module = types.ModuleType(f"example_{name}_{sdk}")
    exec(compile(source, str(EXAMPLES / f"{name}.py"), "exec"), module.__dict__)
    if sdk == "s3seal":
        assert module.boto3 is s3seal
    return module


def _run_both(name: str, run: Any) -> list[Any]:
    results = []
    for sdk in ("boto3", "s3seal"):
        module = _load(name, sdk)
        results.append(run(module, f"ex-{uuid.uuid4().hex[:12]}"))
    assert results[1] == results[0]
    return results[1]


@pytest.mark.usefixtures("default_endpoint")
def test_object_wrapper_example() -> None:
    lines = ["The time has come,", "the Walrus said,", "To talk of many things:", "Of shoes and ships"]
    seen = _run_both("object_wrapper", lambda m, bucket: m.usage_demo(bucket, lines))
    assert seen == [
        ["line-0", "line-1", "line-2", "line-3"],
        b"Of shoes and ships",
        b"The time has come,",
        ["line-1"],
        ["line-0", "line-0-copy", "line-2"],
        False,
    ]


@pytest.mark.usefixtures("default_endpoint")
def test_bucket_wrapper_example() -> None:
    seen = _run_both("bucket_wrapper", lambda m, bucket: m.usage_demo(bucket))
    assert seen[:3] == [False, True, True] and seen[-1] is False
    assert seen[3] == [(["http://www.example.com"], ["PUT", "POST"])] and seen[4] == "s3:GetObject"


@pytest.mark.usefixtures("default_endpoint")
def test_versioning_example() -> None:
    stanza = "You are old, Father William, the young man said"
    seen = _run_both("versioning", lambda m, bucket: m.usage_demo_single_object(bucket, stanza))
    assert seen == ["Enabled", stanza[::-1], 4, True, stanza.upper(), "NoSuchKey", True, stanza.upper(), 0]


@pytest.mark.usefixtures("default_endpoint")
def test_file_transfer_with_sse_c_example(tmp_path: Path) -> None:
    size = 9 * 1024 * 1024  # above the 8 MiB threshold: multipart upload, ranged download
    seen = _run_both("file_transfer", lambda m, bucket: m.usage_demo(bucket, str(tmp_path), size))
    assert seen == [True, size]
