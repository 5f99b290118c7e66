"""The ``s3seal`` command against the real AWS CLI v1 (awscli from PyPI), on the same
server, with the same arguments: the same JSON (minus dates and ids), the same objects,
the same messages and exit codes, failures included."""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Result, assert_rc, assert_same, both, env_for, normalized, run, scrub
from conftest import SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5

pytestmark = pytest.mark.slow


@pytest.fixture
def boto(server: Any) -> Any:
    """boto3 on the test's server: the reference reader of what the CLIs wrote."""
    import boto3

    return boto3.client("s3", **server.client_kwargs())


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    (tmp_path / "f.txt").write_text("hello from the cli\n")
    (tmp_path / "key.bin").write_bytes(SSE_KEY)
    (tmp_path / "other.bin").write_bytes(bytes(range(100, 132)))
    return tmp_path


def _s3api(server: Any, cwd: Path, *args: str) -> tuple[Result, Result]:
    return both(server, ["s3api", *args], cwd)


def _object(boto: Any, bucket: str, key: str, **kw: Any) -> bytes:
    return boto.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()  # type: ignore[no-any-return]


SSE_C = ["--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://key.bin"]


def test_s3api_put_head_get_list_match_the_aws_cli(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    for key in ("k-aws", "k-s3seal"):
        aws, ours = _s3api(
            server,
            cwd,
            "put-object",
            "--bucket",
            bucket,
            "--key",
            key,
            "--body",
            "f.txt",
            *SSE_C,
            "--metadata",
            "a=b,c=d",
            "--tagging",
            "x=y",
        )
        # Two objects: Garage's ETag of an SSE-C object is random, not the plaintext's MD5.
        assert_same(aws, ours, "put-object", ignore=("ETag",) if server.name == "garage" else ())
    # Each CLI wrote an object the other one (and boto3) reads with the same key.
    for key in ("k-aws", "k-s3seal"):
        body = _object(boto, bucket, key, SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
        assert body == b"hello from the cli\n"
    aws, ours = _s3api(server, cwd, "head-object", "--bucket", bucket, "--key", "k-aws", *SSE_C)
    assert_same(aws, ours, "head-object")
    assert normalized(ours.out)["Metadata"] == {"a": "b", "c": "d"}
    aws, ours = _s3api(server, cwd, "get-object", "out.txt", "--bucket", bucket, "--key", "k-s3seal", *SSE_C)
    assert_same(aws, ours, "get-object")
    assert (cwd / "out.txt").read_text() == "hello from the cli\n"
    aws, ours = _s3api(server, cwd, "list-objects-v2", "--bucket", bucket)
    assert_same(aws, ours, "list-objects-v2")
    assert [c["Key"] for c in normalized(ours.out)["Contents"]] == ["k-aws", "k-s3seal"]
    # Timestamps are printed as S3 sent them (the AWS CLI v1's "wire" format).
    assert len(_dates(ours.out)) == 2
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d) for d in _dates(ours.out))
    for fmt in (["--output", "text"], ["--query", "Contents[].Key", "--output", "text"]):
        aws, ours = _s3api(server, cwd, "list-objects-v2", "--bucket", bucket, *fmt)
        assert_same(aws, ours, f"list-objects-v2 {fmt}", compare_json=False)
        assert _undated(aws.out) == _undated(ours.out)


def _dates(text: str) -> list[str]:
    return re.findall(r'"LastModified": "([^"]+)"', text)


def _undated(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<date>", text)


def test_s3api_timestamps_have_the_wire_format(server: Any, bucket: str, cwd: Path) -> None:
    aws, ours = _s3api(server, cwd, "put-object", "--bucket", bucket, "--key", "t", "--body", "f.txt")
    aws, ours = _s3api(server, cwd, "head-object", "--bucket", bucket, "--key", "t")
    assert aws.out == ours.out  # same object, same HTTP-date header, byte for byte


@pytest.mark.parametrize(
    "args",
    [
        ["get-object", "out.bin", "--bucket", "{b}", "--key", "missing"],  # NoSuchKey: v1 255, v2 254
        [
            "head-object",
            "--bucket",
            "{b}",
            "--key",
            "sse",
            "--sse-customer-algorithm",
            "AES256",
            "--sse-customer-key",
            "fileb://other.bin",
        ],  # the wrong key: 403/400, v1 255, v2 254
        ["list-objects-v2", "--bucket", "{b}", "--bogus"],  # unknown option: v1 255, v2 252
        ["put-object", "--bucket", "{b}"],  # a required argument missing: v1 2, v2 252
        ["no-such-operation"],  # invalid choice: v1 2, v2 252
        [],  # no operation: v1 2, v2 252
        ["list-objects-v2", "--bucket", "{b}", "--max-keys", "x"],  # not an integer
        ["head-bucket", "--bucket", "no-such-bucket-h14"],
        ["put-object", "--bucket", "{b}", "--key", "k", "--body", "no-such-file"],
    ],
)
def test_s3api_failures_match(server: Any, bucket: str, boto: Any, cwd: Path, args: list[str]) -> None:
    boto.put_object(
        Bucket=bucket, Key="sse", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
    )
    args = [a.replace("{b}", bucket) for a in args]
    aws, ours = _s3api(server, cwd, *args)
    assert aws.rc != 0
    assert_rc(aws, ours, str(args))
    if aws.rc == 255:
        detail = f"{args}: aws {scrub(aws.err)[-300:]} / s3seal {scrub(ours.err)[-300:]}"
        assert aws.last_err() == ours.last_err(), detail


def test_s3api_sse_c_md5_pass_through_and_cli_input_json(
    server: Any, bucket: str, boto: Any, cwd: Path
) -> None:
    """botocore's rule: key and MD5 both given -> both verbatim (the key already base64)."""
    (cwd / "in.json").write_text(f'{{"Bucket": "{bucket}", "Key": "j"}}')
    env = env_for(server)
    args = [
        "--endpoint-url",
        server.url,
        "s3api",
        "put-object",
        "--cli-input-json",
        "file://in.json",
        "--body",
        "f.txt",
        "--sse-customer-algorithm",
        "AES256",
        "--sse-customer-key",
        SSE_KEY_B64,
        "--sse-customer-key-md5",
        SSE_KEY_MD5,
    ]
    ours = run("s3seal", args, env, cwd)
    assert ours.rc == 0, scrub(ours.err)
    assert SSE_KEY_B64 not in ours.out + ours.err
    body = _object(boto, bucket, "j", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
    assert body == b"hello from the cli\n"


def test_s3_cp_matches_the_aws_cli(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    cases = [
        (["cp", "f.txt", f"s3://{bucket}/plain/"], "upload: ./f.txt to s3://{b}/plain/f.txt"),
        (
            [
                "cp",
                "f.txt",
                f"s3://{bucket}/c.txt",
                "--sse-c",
                "--sse-c-key",
                "fileb://key.bin",
                "--metadata",
                "k=v",
                "--content-type",
                "text/x-test",
                "--storage-class",
                "STANDARD",
            ],
            "upload: ./f.txt to s3://{b}/c.txt",
        ),
        (
            ["cp", f"s3://{bucket}/c.txt", "down.txt", "--sse-c", "--sse-c-key", "fileb://key.bin"],
            "download: s3://{b}/c.txt to ./down.txt",
        ),
        (
            [
                "cp",
                f"s3://{bucket}/c.txt",
                f"s3://{bucket}/copy.txt",
                "--sse-c-copy-source",
                "--sse-c-copy-source-key",
                "fileb://key.bin",
                "--sse-c",
                "--sse-c-key",
                "fileb://other.bin",
            ],
            "copy: s3://{b}/c.txt to s3://{b}/copy.txt",
        ),
    ]
    for args, line in cases:
        aws, ours = both(server, ["s3", *args, "--no-progress"], cwd)
        assert_same(aws, ours, str(args), compare_json=False)
        assert ours.out.strip() == line.format(b=bucket), scrub(ours.out + ours.err)
    head = boto.head_object(Bucket=bucket, Key="c.txt", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
    assert head["Metadata"] == {"k": "v"} and head["ContentType"] == "text/x-test"
    copied = _object(
        boto, bucket, "copy.txt", SSECustomerAlgorithm="AES256", SSECustomerKey=bytes(range(100, 132))
    )
    assert copied == b"hello from the cli\n"
    assert (cwd / "down.txt").read_text() == "hello from the cli\n"
    assert boto.head_object(Bucket=bucket, Key="plain/f.txt")["ContentType"] == "text/plain"


@pytest.mark.parametrize(
    "args",
    [
        ["cp", "f.txt", "s3://{b}/k", "--sse-c-key", "fileb://key.bin"],  # the Korean seed's line
        ["cp", "f.txt", "s3://{b}/k", "--sse-c"],
        ["cp", "f.txt", "s3://{b}/k", "--sse-c-copy-source", "--sse-c-copy-source-key", "fileb://key.bin"],
        ["cp", "s3://{b}/missing", "x.txt"],  # fatal error, 1
        ["cp", "no-such-file", "s3://{b}/k"],  # the user-provided path does not exist, 255
        ["cp", ".", "s3://{b}/d/"],  # a directory without --recursive: upload failed, 1
        ["cp", "f.txt", "s3://{b}/k", "--bogus"],
        ["cp", "f.txt", "s3://{b}/k", "--sse", "bogus"],
        ["ls", "s3://{b}/nothing-here"],  # a prefix without objects: 1
        ["ls", "s3://no-such-bucket-h14"],  # NoSuchBucket: v1 255, v2 254
        ["rb", "s3://{b}/key"],  # not a bucket name: v1 255, v2 252
        ["mb", "s3://Not_A_Bucket"],  # InvalidBucketName: 1
        ["cp", "s3://{b}/sse", "x.txt", "--sse-c", "--sse-c-key", "fileb://other.bin"],  # wrong key
        [],  # no subcommand: v1 255, v2 252
        ["cp"],  # no paths: argparse, v1 2, v2 252
        ["cp", "-", "s3://{b}/k", "--recursive"],  # streaming with --recursive: v1 255, v2 252
        ["rb", "s3://{b}"],  # BucketNotEmpty: remove_bucket failed, 1
    ],
)
def test_s3_failures_match(server: Any, bucket: str, boto: Any, cwd: Path, args: list[str]) -> None:
    boto.put_object(
        Bucket=bucket, Key="sse", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
    )
    args = [a.replace("{b}", bucket) for a in args]
    aws, ours = both(server, ["s3", *args], cwd)
    assert aws.rc != 0
    assert_same(aws, ours, str(args), compare_json=False)
    assert "k" not in {o["Key"] for o in boto.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_s3_ls_rm_mb_rb(server: Any, boto: Any, cwd: Path) -> None:
    import uuid

    name = f"t-{uuid.uuid4().hex[:12]}"
    for tool in ("aws", "s3seal"):
        bucket = f"{name}-{tool[:3]}"
        env, url = env_for(server), ["--endpoint-url", server.url]
        assert run(tool, [*url, "s3", "mb", f"s3://{bucket}"], env, cwd).out == f"make_bucket: {bucket}\n"
        for key in ("a.txt", "d/b.txt", "d/e/c.txt"):
            boto.put_object(Bucket=bucket, Key=key, Body=b"12345")
    outs = {}
    for tool in ("aws", "s3seal"):
        bucket = f"{name}-{tool[:3]}"
        env, url = env_for(server), ["--endpoint-url", server.url]
        listing = [
            run(tool, [*url, "s3", "ls", f"s3://{bucket}/", *extra], env, cwd)
            for extra in ([], ["--recursive"], ["--recursive", "--human-readable", "--summarize"])
        ]
        rm = run(
            tool, [*url, "s3", "rm", f"s3://{bucket}/d", "--recursive", "--exclude", "*/c.txt"], env, cwd
        )
        rb = run(tool, [*url, "s3", "rb", f"s3://{bucket}", "--force"], env, cwd)
        outs[tool] = [(r.rc, r.out.replace(bucket, "B")) for r in (*listing, rm, rb)]
    # ls prints local times to the second: the two buckets' objects were written seconds apart.
    undated = {tool: [(rc, _undated_ls(out)) for rc, out in rows] for tool, rows in outs.items()}
    assert undated["aws"][:3] == undated["s3seal"][:3]
    assert sorted(outs["aws"][3][1].splitlines()) == sorted(outs["s3seal"][3][1].splitlines())
    # rb --force deletes concurrently, in no fixed order.
    assert sorted(outs["aws"][4][1].splitlines()) == sorted(outs["s3seal"][4][1].splitlines())
    assert outs["aws"][4][0] == outs["s3seal"][4][0] == 0


def _undated_ls(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<time>", text)


def test_presign_matches_the_aws_cli(server: Any, bucket: str, cwd: Path) -> None:
    """The same URL shape as `aws s3 presign` (always SigV4: the AWS CLI's default for s3
    presign), and a URL that works."""
    args = ["--endpoint-url", server.url, "s3", "presign", f"s3://{bucket}/a b", "--expires-in", "120"]
    env = env_for(server, AWS_CONFIG_FILE=str(cwd / "v4.cfg"))
    (cwd / "v4.cfg").write_text("[default]\ns3 =\n  signature_version = s3v4\n")
    aws, ours = run("aws", args, env, cwd), run("s3seal", args, env, cwd)
    assert (aws.rc, ours.rc) == (0, 0), ours.err
    volatile = {"X-Amz-Date", "X-Amz-Signature", "X-Amz-Credential"}

    def shape(url: str) -> tuple[str, dict[str, list[str]]]:
        split = urllib.parse.urlsplit(url.strip())
        query = {k: v for k, v in urllib.parse.parse_qs(split.query).items() if k not in volatile}
        return split.path, query

    assert shape(ours.out) == shape(aws.out)
    assert "X-Amz-Expires=120" in ours.out
    bad = run("s3seal", ["--endpoint-url", server.url, "s3", "presign", "not-s3"], env, cwd)
    assert bad.rc != 0


def _tree(root: Path, count: int) -> dict[str, bytes]:
    files = {}
    for i in range(count):
        rel = f"d{i % 5}/f{i:03d}.{'log' if i % 10 == 0 else 'dat'}"
        data = hashlib.sha256(str(i).encode()).digest() * (i + 1)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        files[rel] = data
    return files


def _lines(result: Result) -> list[str]:
    return sorted(line for line in result.out.splitlines() if line.strip())


def test_sync_a_tree_up_and_back_with_sse_c(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    files = _tree(cwd / "up", 50)
    env, url = env_for(server), ["--endpoint-url", server.url]
    sse = ["--sse-c", "--sse-c-key", "fileb://key.bin"]
    first = run("s3seal", [*url, "s3", "sync", "up", f"s3://{bucket}/tree", *sse], env, cwd)
    assert first.rc == 0 and len(_lines(first)) == 50, scrub(first.err)
    again = run("s3seal", [*url, "s3", "sync", "up", f"s3://{bucket}/tree", *sse], env, cwd)
    assert (again.rc, again.out) == (0, "")
    down = run("s3seal", [*url, "s3", "sync", f"s3://{bucket}/tree", "down", *sse], env, cwd)
    assert down.rc == 0 and len(_lines(down)) == 50, scrub(down.err)
    for rel, data in files.items():
        assert (cwd / "down" / rel).read_bytes() == data
    back = run("s3seal", [*url, "s3", "sync", f"s3://{bucket}/tree", "down", *sse], env, cwd)
    assert (back.rc, back.out) == (0, "")
    # Every object is under the customer key.
    head = boto.head_object(
        Bucket=bucket, Key="tree/d1/f001.dat", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
    )
    assert head["SSECustomerAlgorithm"] == "AES256"


def test_sync_filters_and_delete_match_the_aws_cli(server: Any, bucket: str, cwd: Path) -> None:
    _tree(cwd / "src", 12)
    results = {}
    for tool in ("aws", "s3seal"):
        env, url, dest = env_for(server), ["--endpoint-url", server.url], f"s3://{bucket}/{tool}"
        steps = [
            ["s3", "sync", "src", dest, "--exclude", "*.log", "--no-progress"],
            ["s3", "sync", "src", dest, "--exclude", "*", "--include", "d1/*", "--no-progress"],
            ["s3", "sync", "src", dest, "--no-progress", "--dryrun"],
        ]
        outs = [run(tool, [*url, *s], env, cwd) for s in steps]
        (cwd / "src" / "d2" / "f002.dat").unlink()
        outs.append(
            run(
                tool,
                [*url, "s3", "sync", "src", dest, "--delete", "--exclude", "*.log", "--no-progress"],
                env,
                cwd,
            )
        )
        (cwd / "src" / "d2" / "f002.dat").write_bytes(b"again")
        results[tool] = [(r.rc, [line.replace(f"/{tool}/", "/X/") for line in _lines(r)]) for r in outs]
    assert results["aws"] == results["s3seal"]
    assert any("delete:" in line for line in results["s3seal"][3][1])


def test_debug_output_never_shows_a_key(server: Any, bucket: str, cwd: Path) -> None:
    env, url = env_for(server), ["--endpoint-url", server.url, "--debug"]
    runs = [
        run(
            "s3seal",
            [
                *url,
                "s3api",
                "put-object",
                "--bucket",
                bucket,
                "--key",
                "d",
                "--body",
                "f.txt",
                "--sse-customer-algorithm",
                "AES256",
                "--sse-customer-key",
                SSE_KEY_B64,
                "--sse-customer-key-md5",
                SSE_KEY_MD5,
            ],
            env,
            cwd,
        ),
        run(
            "s3seal",
            [*url, "s3", "cp", "f.txt", f"s3://{bucket}/e", "--sse-c", "--sse-c-key", "fileb://key.bin"],
            env,
            cwd,
        ),
        run(
            "s3seal",
            [
                *url,
                "s3api",
                "get-object",
                "o",
                "--bucket",
                bucket,
                "--key",
                "d",
                "--sse-customer-algorithm",
                "AES256",
                "--sse-customer-key",
                "fileb://other.bin",
            ],
            env,
            cwd,
        ),
    ]
    assert [r.rc for r in runs] == [0, 0, 254]  # the wrong key: a service error
    for r in runs:
        assert "DEBUG" in r.err
        assert SSE_KEY_B64 not in r.out + r.err
        assert "***" in r.err


def test_progress_line_only_on_a_terminal(server: Any, bucket: str, cwd: Path) -> None:
    import os
    import pty
    import subprocess

    from cli_helpers import S3SEAL

    (cwd / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    args = [*S3SEAL, "--endpoint-url", server.url, "s3", "cp", "big.bin", f"s3://{bucket}/big"]
    piped = run("s3seal", args[len(S3SEAL) :], env_for(server), cwd)
    assert piped.rc == 0 and "Completed" not in piped.out
    leader, follower = pty.openpty()
    proc = subprocess.run(
        args, env=env_for(server), cwd=cwd, stdout=follower, stderr=subprocess.PIPE, timeout=60
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"Completed" in shown and b"upload: ./big.bin" in shown


def test_s3api_names_are_botocores_for_every_operation_and_member() -> None:
    """No server: the argument table comes from the model with the AWS CLI's names."""
    import botocore.session
    from botocore import xform_name as botocore_xform
    from s3seal.cli.s3api import Operation, command_table, xform_name

    model = botocore.session.get_session().get_service_model("s3")
    assert set(command_table()) == {botocore_xform(op, "-") for op in model.operation_names}
    for op in model.operation_names:
        ours = Operation(op)
        shape = model.operation_model(op).input_shape
        members = list(shape.members) if shape else []
        assert {xform_name(m) for m in ours.members} == {botocore_xform(m, "-") for m in members}, op
        assert set(ours.required) == set(shape.required_members if shape else []), op


def test_multipart_sse_c_cp_up_and_down_match(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    """Above the 8 MiB threshold: multipart upload and ranged download, the key on every part
    and ranged GET (the server refuses any request of an SSE-C object without it)."""
    import os

    data = os.urandom(9 * 1024 * 1024 + 5)
    (cwd / "big.bin").write_bytes(data)
    sse = ["--sse-c", "AES256", "--sse-c-key", "fileb://key.bin", "--no-progress"]
    for tool_key in ("a", "s"):
        aws, ours = both(server, ["s3", "cp", "big.bin", f"s3://{bucket}/big-{tool_key}", *sse], cwd)
        assert_same(aws, ours, "multipart upload", compare_json=False)
    for key in ("big-a", "big-s"):
        got = _object(boto, bucket, key, SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
        assert got == data
    aws, ours = both(server, ["s3", "cp", f"s3://{bucket}/big-a", "back.bin", *sse], cwd)
    assert_same(aws, ours, "ranged download", compare_json=False)
    assert ours.results() == [f"download: s3://{bucket}/big-a to ./back.bin"]
    assert (cwd / "back.bin").read_bytes() == data


def test_s3api_pagination_flags_match(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    for i in range(5):
        boto.put_object(Bucket=bucket, Key=f"p/{i}", Body=b"x")
    for args in (
        ["--max-items", "2", "--page-size", "1"],
        ["--max-items", "2", "--output", "text"],
        ["--page-size", "2", "--query", "Contents[].Key"],
        ["--max-keys", "2"],  # a paging parameter given: one page, as the AWS CLI
        ["--no-paginate", "--max-keys", "3"],
    ):
        aws, ours = _s3api(server, cwd, "list-objects-v2", "--bucket", bucket, *args)
        assert aws.rc == ours.rc == 0, scrub(ours.err)
        if "text" in args:
            assert _undated(aws.out) == _undated(ours.out)
        else:
            assert normalized(aws.out) == normalized(ours.out), args


@pytest.mark.parametrize(
    "globals_",
    [
        ["--endpoint-url", "http://127.0.0.1:9", "--cli-connect-timeout", "1"],  # nothing listens
        ["--profile", "no-such-profile"],
        ["--output", "xml"],  # (v2 has yaml, v1 and s3seal do not)
        ["--version"],
    ],
)
def test_global_options_match(server: Any, bucket: str, cwd: Path, globals_: list[str]) -> None:
    args = [*globals_, "s3api", "list-objects-v2", "--bucket", bucket]
    if "--endpoint-url" not in globals_:
        args = ["--endpoint-url", server.url, *args]
    env = env_for(server, AWS_MAX_ATTEMPTS="1")
    aws, ours = run("aws", args, env, cwd), run("s3seal", args, env, cwd)
    assert_rc(aws, ours, str(globals_))
    if "--version" in globals_:
        assert ours.out.startswith("s3seal-cli/")
    elif aws.rc == 255:
        # botocore's EndpointConnectionError names the URL with its query string; the s3seal
        # client's names it without (a client difference, not the CLI's): compare before '?'.
        assert aws.last_err().split("?")[0].rstrip('"') == ours.last_err().split("?")[0].rstrip('"')


@pytest.mark.parametrize(
    "args",
    [
        ["s3api", "list-objects-v2", "--bucket", "{b}"],  # NoCredentialsError: v1 255, v2 253
        ["s3", "ls", "s3://{b}"],  # the same from an s3 command
        ["s3", "cp", "f.txt", "s3://{b}/k"],  # a transfer that fails on it: upload failed, 1
    ],
)
def test_missing_credentials_match(server: Any, bucket: str, cwd: Path, args: list[str]) -> None:
    env = env_for(server)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(var)
    full = ["--endpoint-url", server.url, *(a.replace("{b}", bucket) for a in args)]
    aws, ours = run("aws", full, env, cwd), run("s3seal", full, env, cwd)
    assert aws.rc != 0
    assert_same(aws, ours, str(args), compare_json=False)
    assert ours.rc in (1, 253)


def test_sse_c_cp_is_encrypted_at_rest_on_garage(garage: Any, tmp_path: Path) -> None:
    """`s3 cp --sse-c` up (one request and multipart) leaves no plaintext in Garage's data
    directory, while a plain control copy does; down again, the bytes come back."""
    import os

    from conftest import make_bucket

    bucket = make_bucket(garage)
    marker = b"s3seal-cli-plaintext-marker-" + os.urandom(8).hex().encode()
    small = marker * 200  # above Garage's inline threshold (3 KiB): a data block
    big = (marker + os.urandom(4000)) * (9 * 1024 * 1024 // (len(marker) + 4000) + 1)  # multipart
    (tmp_path / "small.bin").write_bytes(small)
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "control.bin").write_bytes((b"CONTROL-" + marker) * 200)
    (tmp_path / "key.bin").write_bytes(SSE_KEY)
    env, url = env_for(garage), ["--endpoint-url", garage.url]
    sse = ["--sse-c", "AES256", "--sse-c-key", "fileb://key.bin"]
    for name in ("small.bin", "big.bin"):
        up = run("s3seal", [*url, "s3", "cp", name, f"s3://{bucket}/{name}", *sse], env, tmp_path)
        assert up.rc == 0, scrub(up.err)
    plain = run("s3seal", [*url, "s3", "cp", "control.bin", f"s3://{bucket}/control"], env, tmp_path)
    assert plain.rc == 0, scrub(plain.err)
    # Data blocks and metadata (where Garage keeps small objects inline) alike.
    stored = b"".join(p.read_bytes() for p in Path(garage.workdir).rglob("*") if p.is_file())
    assert b"CONTROL-" + marker in stored, "the control object should be stored in plaintext"
    assert stored.count(marker) == stored.count(b"CONTROL-" + marker), "SSE-C data found in plaintext"
    for name, data in (("small.bin", small), ("big.bin", big)):
        down = run("s3seal", [*url, "s3", "cp", f"s3://{bucket}/{name}", f"back-{name}", *sse], env, tmp_path)
        assert down.rc == 0, scrub(down.err)
        assert (tmp_path / f"back-{name}").read_bytes() == data
    refused = run("s3seal", [*url, "s3", "cp", f"s3://{bucket}/small.bin", "nokey.bin"], env, tmp_path)
    assert refused.rc == 1 and not (tmp_path / "nokey.bin").exists()


def test_ctrl_c_during_a_recursive_cp(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    """Exit 130, the transfers in flight stopped and their multipart uploads aborted."""
    import os
    import signal
    import subprocess

    from cli_helpers import S3SEAL
    from conftest import ignore_sigint

    tree = cwd / "many"
    tree.mkdir()
    block = os.urandom(10 * 1024 * 1024)  # above the 8 MiB threshold: multipart uploads
    for i in range(24):
        (tree / f"b{i:02d}.bin").write_bytes(block)
    args = [*S3SEAL, "--endpoint-url", server.url, "s3", "cp", "many", f"s3://{bucket}/c/", "--recursive"]
    proc = subprocess.Popen(
        args,
        env=env_for(server),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ignore_sigint,
        bufsize=0,  # unbuffered: a buffered readline() could swallow lines communicate() then misses
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(b"upload: ")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()[-500:]
    assert b"cancelled: ctrl-c received" in err and b"failed" not in err
    assert out.count(b"upload: ") < 23  # the rest was cancelled
    assert boto.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # What was written is whole: no object was completed from part of a file.
    stored = boto.list_objects_v2(Bucket=bucket, Prefix="c/").get("Contents", [])
    assert all(o["Size"] == len(block) for o in stored)


@pytest.mark.parametrize("stage", ["parts", "complete"])
def test_ctrl_c_stops_a_cp_while_the_server_hangs(
    ministack: Any, mbucket: str, cwd: Path, stage: str
) -> None:
    """Piped, `cp` shows no progress and passes the engine no callback: Ctrl-C reaches the
    transfer through its stop, not through a callback that bytes would have to trigger. With
    the server hung no bytes move, yet the command exits 130 at once and the multipart upload
    is aborted (it would otherwise wait out the 120 s read timeout): while the parts are on
    their way, and while the CompleteMultipartUpload waits for its answer."""
    import os
    import signal
    import subprocess
    import time

    import boto3
    from cli_helpers import S3SEAL
    from conftest import ignore_sigint
    from faults import FaultProxy

    (cwd / "big.bin").write_bytes(os.urandom(24 * 1024 * 1024))  # 3 parts of 8 MiB
    direct = boto3.client("s3", **ministack.client_kwargs())
    with FaultProxy(ministack.port) as proxy:
        if stage == "parts":
            # The server stops answering once 1 MiB of the parts went through: a part is in
            # flight then, whatever the machine's speed.
            proxy.hang_after(1024 * 1024)
        else:
            proxy.hang_request(f"POST /{mbucket}/hung?uploadId=".encode())
        args = [*S3SEAL, "--endpoint-url", proxy.url, "--cli-read-timeout", "120", "s3", "cp", "big.bin"]
        proc = subprocess.Popen(
            [*args, f"s3://{mbucket}/hung"],
            env=env_for(ministack),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=ignore_sigint,
        )
        try:
            assert proxy.hung.wait(30) and proc.poll() is None, "the upload never started"
            assert direct.list_multipart_uploads(Bucket=mbucket).get("Uploads")
            time.sleep(1.0)
            assert proc.poll() is None  # waiting on the hung connections
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err.decode()[-500:]
    assert b"cancelled: ctrl-c received" in err
    assert took < 10, took
    assert [
        u for u in direct.list_multipart_uploads(Bucket=mbucket).get("Uploads", []) if u["Key"] == "hung"
    ] == []
    assert "Contents" not in direct.list_objects_v2(Bucket=mbucket, Prefix="hung")


def test_ctrl_c_during_a_recursive_download(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    """Exit 130; the destination holds only whole files, each reported downloaded: the ranged
    downloads in flight stopped and their temporary files (``<name>.<8 hex>``) removed."""
    import os
    import signal
    import subprocess

    from cli_helpers import S3SEAL
    from conftest import ignore_sigint

    # Above the 8 MiB threshold: ranged GETs into a temporary file. Enough files that most are
    # still queued or in flight when the first one is reported.
    block = os.urandom(12 * 1024 * 1024)
    names = [f"b{i:02d}.bin" for i in range(40)]
    for name in names:
        boto.put_object(
            Bucket=bucket, Key=f"d/{name}", Body=block, SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
        )
    sse = ["--sse-c", "AES256", "--sse-c-key", "fileb://key.bin"]
    args = [
        *S3SEAL,
        "--endpoint-url",
        server.url,
        "s3",
        "cp",
        f"s3://{bucket}/d/",
        "down",
        "--recursive",
        *sse,
    ]
    proc = subprocess.Popen(
        args,
        env=env_for(server),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ignore_sigint,
        bufsize=0,  # unbuffered: a buffered readline() could swallow lines communicate() then misses
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith(b"download: "), first
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, scrub(err.decode()[-500:])
    assert b"cancelled: ctrl-c received" in err and b"failed" not in err
    lines = [line for line in (first + rest).decode().splitlines() if line]
    reported = {line.rsplit("/", 1)[-1] for line in lines}
    present = sorted(os.listdir(cwd / "down"))
    assert len(present) < len(names), (scrub(err.decode()[-500:]), len(reported))  # the rest was cancelled
    assert set(present) <= set(names), f"left behind: {set(present) - set(names)}"
    assert set(present) == reported
    assert all((cwd / "down" / name).stat().st_size == len(block) for name in present)


def test_sync_download_time_rules_match(server: Any, bucket: str, cwd: Path) -> None:
    """A newer local file is kept by default and by --size-only, replaced by --exact-timestamps
    (which, on a server listing milliseconds, replaces every file: the AWS CLI sets local times
    in whole seconds); a different size is always replaced."""
    import os

    _tree(cwd / "src", 6)
    env, url = env_for(server), ["--endpoint-url", server.url]
    assert run("s3seal", [*url, "s3", "sync", "src", f"s3://{bucket}/t"], env, cwd).rc == 0
    results = {}
    for tool in ("aws", "s3seal"):
        local = cwd / f"down-{tool}"
        steps = [[], ["--size-only"], ["--exact-timestamps"], []]
        outs = []
        for i, extra in enumerate(steps):
            if i == 1:  # a newer local file of the same size, and one of another size
                os.utime(local / "d1" / "f001.dat")
                (local / "d2" / "f002.dat").write_bytes(b"short")
            outs.append(
                run(
                    tool,
                    [*url, "s3", "sync", f"s3://{bucket}/t", str(local.name), "--no-progress", *extra],
                    env,
                    cwd,
                )
            )
        results[tool] = [(r.rc, [line.replace(f"down-{tool}", "D") for line in _lines(r)]) for r in outs]
    assert results["aws"] == results["s3seal"]
    assert len(results["s3seal"][0][1]) == 6 and results["s3seal"][3][1] == []


def test_table_output_matches(server: Any, bucket: str, boto: Any, cwd: Path) -> None:
    cases = [["list-objects-v2", "--max-items", "2"], ["head-object", "--key", "t/2"]]
    if server.name != "garage":  # Garage: "Unimplemented action: PutBucketTagging"
        boto.put_bucket_tagging(
            Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "b"}, {"Key": "long-key", "Value": "v"}]}
        )
        cases.append(["get-bucket-tagging"])
    for i in range(3):
        boto.put_object(Bucket=bucket, Key=f"t/{i}", Body=b"x" * i, Metadata={"m": str(i)})
    for args in cases:
        aws, ours = _s3api(server, cwd, *args, "--bucket", bucket, "--output", "table")
        assert aws.rc == ours.rc == 0, scrub(ours.err)
        assert aws.out == ours.out, f"{args}\n{aws.out}\n{ours.out}"


def test_keygen_and_rotate_are_subcommands(server: Any, bucket: str, cwd: Path) -> None:
    env = env_for(server)
    for name in ("old.key", "new.key"):
        made = run("s3seal", ["keygen", "--raw", "--out", str(cwd / name)], env, cwd)
        assert made.rc == 0, made.err
        assert (cwd / name).stat().st_size == 32
    up = run(
        "s3seal",
        [
            "--endpoint-url",
            server.url,
            "s3",
            "cp",
            "-",
            f"s3://{bucket}/r/one",
            "--sse-c",
            "--sse-c-key",
            f"fileb://{cwd / 'old.key'}",
        ],
        env,
        cwd,
        stdin=b"rotate me",
    )
    assert up.rc == 0, up.err
    rotated = run(
        "s3seal",
        [
            "--endpoint-url",
            server.url,
            "rotate",
            f"s3://{bucket}/r/",
            "--old-key",
            f"fileb://{cwd / 'old.key'}",
            "--new-key",
            f"fileb://{cwd / 'new.key'}",
        ],
        env,
        cwd,
    )
    assert rotated.rc == 0, rotated.err
    down = run(
        "s3seal",
        [
            "--endpoint-url",
            server.url,
            "s3",
            "cp",
            f"s3://{bucket}/r/one",
            "-",
            "--sse-c",
            "--sse-c-key",
            f"fileb://{cwd / 'new.key'}",
        ],
        env,
        cwd,
    )
    assert (down.rc, down.out) == (0, "rotate me")


def _help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from s3seal.cli import main

    capsys.readouterr()
    assert main(list(argv)) == 0, argv
    out, err = capsys.readouterr()
    assert err == "", err
    return out


def test_help_of_every_s3api_operation_comes_from_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    """No server: `s3seal s3api <op> help` shows the model's documentation (HTML made text)
    and every member's flag, type and requiredness."""
    import botocore.session
    from botocore import xform_name as botocore_xform

    model = botocore.session.get_session().get_service_model("s3")
    for op_name in model.operation_names:
        op = model.operation_model(op_name)
        cli = botocore_xform(op_name, "-")
        text = _help_of(capsys, "s3api", cli, "help")
        assert text.startswith(f"NAME\n       {cli} -"), cli
        assert not re.search(r"</?(p|code|a|ul|li|b|i|note)\b", text), f"HTML left in {cli}'s help"
        # The words of the documentation's first paragraph, in order, whatever the wrapping.
        first = re.search(r"<p>(.*?)</p>", op.documentation or "", re.S)
        para = first.group(1) if first else (op.documentation or "")
        words = " ".join(re.sub(r"<[^>]+>", "", para).split()[:12])
        assert words in " ".join(text.split()), cli
        members = op.input_shape.members if op.input_shape else {}
        for member, shape in members.items():
            flag = f"--{botocore_xform(member, '-')}"
            required = member in (op.input_shape.required_members if op.input_shape else [])
            line = next(line for line in text.splitlines() if line.strip().startswith(f"{flag} ("))
            assert ("required" in line) == required, (cli, line)
            assert ("sensitive" in line) == bool(shape.metadata.get("sensitive")), (cli, line)
            assert (f"{flag} <value>" if required else f"[{flag} <value>]") in text, (cli, flag)
    put = _help_of(capsys, "s3api", "put-object", "help")
    assert "Adds an object to a bucket." in put and "Possible values:" in put and "AES256" in put
    assert "outfile" in _help_of(capsys, "s3api", "get-object", "help")
    listing = _help_of(capsys, "s3api", "help")
    assert all(f"  {botocore_xform(op, '-')}\n" in listing for op in model.operation_names)
    assert "Creates a copy of an object that is already stored in Amazon S3." in listing


def test_docs_data_is_generated_from_the_installed_model() -> None:
    """python/s3seal/cli/_docs.py is tools/gen_cli_docs.py's output for this botocore."""
    import gen_cli_docs
    from s3seal.cli.help import _docs

    assert _docs() == gen_cli_docs.collect()


@pytest.mark.parametrize("command", ["cp", "mv", "rm", "sync", "ls", "mb", "rb", "presign"])
def test_help_of_every_s3_command(capsys: pytest.CaptureFixture[str], command: str) -> None:
    from s3seal.cli.s3 import DESCRIPTIONS, _parser

    text = _help_of(capsys, "s3", command, "help")
    assert text.startswith(f"usage: s3seal s3 {command} ")
    assert " ".join(DESCRIPTIONS[command].split()) in " ".join(text.split())
    assert "252 bad arguments" in " ".join(text.split())
    for action in _parser(command)._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help text"
        for flag in action.option_strings:
            assert flag in text, flag
    if command == "cp":
        assert "fileb://" in text and "--sse-c-key" in text


def test_top_level_and_s3_help(capsys: pytest.CaptureFixture[str]) -> None:
    from s3seal.cli.common import global_parser
    from s3seal.cli.s3 import COMMANDS

    text = _help_of(capsys, "help")
    for action in global_parser()._actions:
        for flag in action.option_strings:
            assert f"  {flag}" in text, flag
    assert all(f"  {c} " in text for c in ("s3", "s3api", "keygen", "rotate"))
    assert "252" in text and "254" in text and "130" in text
    s3 = _help_of(capsys, "s3", "help")
    assert all(f"  {c} " in s3 for c in COMMANDS)
    assert "--old-key" in _help_of(capsys, "rotate", "help")
