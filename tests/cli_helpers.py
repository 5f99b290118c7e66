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


def normalized(out: str) -> Any:
    """JSON output without dates and ids (which differ between two runs)."""
    if not out.strip():
        return None

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not _VOLATILE.search(k)}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(json.loads(out))


def assert_same(aws: Result, ours: Result, what: str, compare_json: bool = True) -> None:
    detail = (
        f"{what}\naws: rc={aws.rc} {scrub(aws.err)[-400:]}\ns3seal: rc={ours.rc} {scrub(ours.err)[-400:]}"
    )
    assert aws.rc == ours.rc, detail
    assert aws.last_err() == ours.last_err(), detail
    if compare_json:
        assert normalized(aws.out) == normalized(ours.out), detail + f"\n{scrub(aws.out)}\n{scrub(ours.out)}"
