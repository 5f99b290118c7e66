"""Real S3 servers on 127.0.0.1 for s3seal's tests, demo and benchmarks.

ministack (AWS's SSE error codes and messages, all three modes) and Garage (a real storage
server that encrypts SSE-C data at rest). Each is installed on first use into a cache
directory (``$S3SEAL_CACHE``, default ``~/.cache/s3seal``), started on a free loopback
port, and stopped by PID. Nothing here talks to any address but 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

MINISTACK_VERSION = "1.5.33"
GARAGE_VERSION = "2.5.0"
CACHE = Path(os.environ.get("S3SEAL_CACHE", "~/.cache/s3seal")).expanduser()
HOST = "127.0.0.1"


def log(msg: str) -> None:
    print(f"[servers] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def ministack_bin() -> Path:
    """ministack in its own virtualenv (it pins its own botocore), installed once."""
    venv = CACHE / f"ministack-{MINISTACK_VERSION}"
    exe = venv / "bin" / "ministack"
    if not exe.exists():
        log(f"installing ministack {MINISTACK_VERSION} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"ministack=={MINISTACK_VERSION}"], check=True
        )
    return exe


def garage_bin() -> Path:
    """Garage built from crates.io once (~18 min on 2 cores), then reused."""
    root = CACHE / f"garage-{GARAGE_VERSION}"
    exe = root / "bin" / "garage"
    if not exe.exists():
        log(f"building garage {GARAGE_VERSION} into {root} (about 18 minutes, once)")
        subprocess.run(
            ["cargo", "install", "garage", "--locked", "--version", GARAGE_VERSION, "--root", str(root)],
            check=True,
        )
    return exe


@dataclass
class Server:
    """A running server: where it listens, the keys it accepts, how to stop it."""

    name: str
    url: str
    access_key: str
    secret_key: str
    workdir: Path
    proc: subprocess.Popen[bytes]
    region: str = "us-east-1"
    bucket: str = "test-bucket"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def client_kwargs(self) -> dict[str, str]:
        return {
            "endpoint_url": self.url,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "region_name": self.region,
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        """Stop and start again on the same port and data (for fault tests)."""
        self.stop()
        self.proc = subprocess.Popen(
            self.proc.args, env=self.extra_env(), stdout=self._log(), stderr=subprocess.STDOUT
        )
        _wait_ready(self)

    def extra_env(self) -> dict[str, str]:
        return {**os.environ, **self.extra}

    def _log(self):  # type: ignore[no-untyped-def]
        return open(self.workdir / f"{self.name}.log", "ab")


def _wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    probe = server.extra.get("READY_URL", server.url + "/")
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            tail = (server.workdir / f"{server.name}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{server.name} exited early:\n{tail}")
        try:
            urllib.request.urlopen(probe, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is serving
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not become ready on {server.url}")


def start_ministack(workdir: Path) -> Server:
    exe = ministack_bin()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    extra = {"BIND_HOST": HOST, "GATEWAY_PORT": str(port), "SERVICES": "s3"}
    url = f"http://{HOST}:{port}"
    log_file = open(workdir / "ministack.log", "ab")
    proc = subprocess.Popen(
        [str(exe)], env={**os.environ, **extra}, stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir
    )
    extra["READY_URL"] = f"{url}/_ministack/health"
    server = Server(
        "ministack", url, "AKIDMINISTACKTEST", "ministack-secret-key-0123", workdir, proc, extra=extra
    )
    _wait_ready(server)
    return server


def start_garage(workdir: Path) -> Server:
    exe = garage_bin()
    workdir.mkdir(parents=True, exist_ok=True)
    port, rpc_port, admin_port = free_port(), free_port(), free_port()
    access_key = "GKtest0123456789abcdef01"
    secret_key = "test-secret-key-0123456789abcdef"
    conf = workdir / "garage.toml"
    conf.write_text(
        f"""metadata_dir = "{workdir}/meta"
data_dir = "{workdir}/data"
db_engine = "sqlite"
replication_factor = 1
compression_level = "none"
rpc_bind_addr = "{HOST}:{rpc_port}"
rpc_public_addr = "{HOST}:{rpc_port}"
rpc_secret = "{secrets.token_hex(32)}"
[s3_api]
s3_region = "us-east-1"
api_bind_addr = "{HOST}:{port}"
root_domain = ".s3.garage.localhost"
[admin]
api_bind_addr = "{HOST}:{admin_port}"
"""
    )
    extra = {
        "GARAGE_DEFAULT_ACCESS_KEY": access_key,
        "GARAGE_DEFAULT_SECRET_KEY": secret_key,
        "GARAGE_DEFAULT_BUCKET": "test-bucket",
        "RUST_LOG": "warn",
    }
    log_file = open(workdir / "garage.log", "ab")
    proc = subprocess.Popen(
        [str(exe), "-c", str(conf), "server", "--single-node", "--default-bucket"],
        env={**os.environ, **extra},
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = Server("garage", f"http://{HOST}:{port}", access_key, secret_key, workdir, proc, extra=extra)
    _wait_ready(server)
    # The default bucket appears shortly after the API answers.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ok = subprocess.run(
            [str(exe), "-c", str(conf), "bucket", "info", "test-bucket"],
            capture_output=True,
            env=server.extra_env(),
        )
        if ok.returncode == 0:
            break
        time.sleep(0.2)
    else:
        server.stop()
        raise RuntimeError("garage never created its default bucket")
    server.extra["GARAGE_CONF"] = str(conf)
    return server


def garage_create_bucket(server: Server, name: str) -> None:
    exe = garage_bin()
    conf = server.extra["GARAGE_CONF"]
    env = server.extra_env()
    subprocess.run([str(exe), "-c", conf, "bucket", "create", name], check=True, capture_output=True, env=env)
    subprocess.run(
        [
            str(exe),
            "-c",
            conf,
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            name,
            "--key",
            server.access_key,
        ],
        check=True,
        capture_output=True,
        env=env,
    )


def remove(server: Server) -> None:
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


if __name__ == "__main__":
    # `python tools/servers.py install`: install both servers now, with visible progress.
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: servers.py install")
    log(f"ministack: {ministack_bin()}")
    log(f"garage: {garage_bin()}")
