"""Running the real AWS CLI (awscli v1 from PyPI, same venv) and ``s3seal`` side by side."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import SECRETS

ROOT = Path(__file__).resolve().parent.parent
AWS = str(Path(sys.executable).with_name("aws"))
S3SEAL = [sys.executable, "-m", "s3seal"]


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def last_err(self) -> str:
        """The error's last line: the message both CLIs print (usages differ in the name)."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        return re.sub(r"^(aws|s3seal): ", "<prog>: ", last)

    def results(self) -> list[str]:
        """The result lines of an s3 command, without the AWS CLI's progress output (which it
        prints even when piped; s3seal only on a terminal)."""
        text = re.sub(r"Completed [^\r\n]*?remaining( \(calculating\.\.\.\))?\r?", "", self.out)
        return [line.rstrip() for line in text.splitlines() if line.strip()]


def scrub(text: str) -> str:
    """Test output never shows key material, even when an assertion fails."""
    for secret in SECRETS:
        text = text.replace(secret, "<KEY>")
    return text


def env_for(server: Any, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION=server.region,
        PYTHONPATH=str(ROOT / "python"),
        **extra,
    )
    return env


def run(tool: str, args: list[str], env: dict[str, str], cwd: Path, stdin: bytes | None = None) -> Result:
    argv = [AWS] if tool == "aws" else list(S3SEAL)
    proc = subprocess.run(argv + args, env=env, cwd=cwd, capture_output=True, input=stdin, timeout=120)
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def both(server: Any, args: list[str], cwd: Path, **env: str) -> tuple[Result, Result]:
    """The same command line through ``aws`` and ``s3seal``, with --endpoint-url."""
    e = env_for(server, **env)
    full = ["--endpoint-url", server.url, *args]
    return run("aws", full, e, cwd), run("s3seal", full, e, cwd)


_VOLATILE = re.compile(r"(LastModified|CreationDate|Date|RequestId|HostId|VersionId|Expiration)$")


def normalized(out: str, ignore: tuple[str, ...] = ()) -> Any:
    """JSON output without dates and ids (which differ between two runs), nor the ``ignore``d
    members (Garage's ETag of an SSE-C object is random, not the plaintext's MD5)."""
    if not out.strip():
        return None

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not _VOLATILE.search(k) and k not in ignore}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(json.loads(out))


# AWS CLI v1 -> v2 exit codes. The parity tests run v1 (the only awscli on PyPI); s3seal returns
# v2's codes. v2 keeps v1's 0 / 1 / 2 / 130 for the s3 commands' outcomes, and replaces argparse's
# 2 and the catch-all 255 by the code of the exception's kind (v2's awscli/errorhandler.py):
# which kind v1 hit is read from the message v1 printed (a line of its stderr, "aws" read as
# "<prog>"), the first matching row wins.
# (v1 rc, a line of v1's stderr matches, v2 rc, why)
V1_TO_V2: list[tuple[int, str, int, str]] = [
    (2, r"^<prog>: error: ", 252, "argparse usage error: v2's ArgParseException"),
    (255, r"^Unknown options: ", 252, "UnknownArgumentError / s3's unknown options: ParamValidationError"),
    (255, r"^<prog>: error: too few arguments$", 252, "`s3` without a subcommand: ParamValidationError"),
    (255, r"^An error occurred \(.+\) when calling the \w+ operation", 254, "service error: ClientError"),
    (
        255,
        r"^(Error parsing parameter |Invalid length for parameter |Unknown parameter |Missing required "
        r"parameter |Invalid type for parameter )",
        252,
        "argprocess.ParamError (paramfiles, shorthand, blobs) / botocore ParamValidationError",
    ),
    (
        255,
        r"^(It --\S+ is specified, |--sse-c-copy-source is only supported |Streaming currently is only "
        r"|Error: Invalid argument type$|Please specify a valid bucket name only|Cannot mv a file onto "
        r"itself|grants should be of the form)",
        252,
        "s3 commands' ValueError / TypeError checks: ParamValidationError in v2",
    ),
    (
        255,
        r"^Unable to locate credentials\.|You must specify a region\.",
        253,
        "NoCredentialsError / NoRegionError",
    ),
    # Everything else keeps 255: connection errors, ProfileNotFound (a BotoCoreError v2 does not
    # special-case), a ValueError such as int('x'), "The user-provided path ... does not exist."
    # and "remove_bucket failed: ..." (RuntimeErrors in v2 too).
]


def v2_exit_code(v1: Result) -> int:
    """The exit code AWS CLI v2 returns where v1 returned ``v1.rc`` with ``v1``'s message."""
    err = re.sub(r"^aws: ", "<prog>: ", v1.err, flags=re.M)
    for rc, pattern, v2, _why in V1_TO_V2:
        if v1.rc == rc and re.search(pattern, err, flags=re.M):
            return v2
    return v1.rc


def assert_rc(aws: Result, ours: Result, what: str) -> None:
    """s3seal's exit code is AWS CLI v2's for what the AWS CLI v1 run hit."""
    expected = v2_exit_code(aws)
    assert ours.rc == expected, (
        f"{what}: s3seal rc={ours.rc}, v2 expects {expected} (v1 rc={aws.rc})\n"
        f"aws: {scrub(aws.err)[-400:]}\ns3seal: {scrub(ours.err)[-400:]}"
    )


def assert_same(
    aws: Result, ours: Result, what: str, compare_json: bool = True, ignore: tuple[str, ...] = ()
) -> None:
    detail = (
        f"{what}\naws: rc={aws.rc} {scrub(aws.err)[-400:]}\ns3seal: rc={ours.rc} {scrub(ours.err)[-400:]}"
    )
    assert_rc(aws, ours, what)
    assert aws.last_err() == ours.last_err(), detail
    if compare_json:
        assert normalized(aws.out, ignore) == normalized(ours.out, ignore), (
            detail + f"\n{scrub(aws.out)}\n{scrub(ours.out)}"
        )
