"""Issue 9, item 6: file objects that block or spin never hold up Ctrl-C or the exit.

A child process uploads from a file object whose read() blocks forever, spins in Python,
or is a stalled stdin pipe; SIGINT must raise KeyboardInterrupt within ~0.5 s, nothing
may be left behind (no unfinished multipart upload), and the interpreter must exit
cleanly (no "Fatal Python error", no abort).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

CHILD = textwrap.dedent(
    """
    import signal, sys, threading, time, s3seal
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started ignoring it
    url, key_id, secret, bucket, kind = sys.argv[1:6]
    client = s3seal.client("s3", endpoint_url=url, aws_access_key_id=key_id,
                           aws_secret_access_key=secret, region_name="us-east-1")

    class Stuck:
        def __init__(self):
            self.sent = 0
        def read(self, n=-1):
            if self.sent < 12 * 1024 * 1024:  # two parts, so a multipart upload exists
                self.sent += n
                return b"x" * n
            print("reading", flush=True)
            if kind == "blocking":
                threading.Event().wait()
            while True:  # spinning
                pass

    source = sys.stdin.buffer if kind == "stdin" else Stuck()
    if kind == "stdin":
        print("reading", flush=True)
    config = s3seal.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    try:
        client.upload_fileobj(source, bucket, "k", Config=config)
    except KeyboardInterrupt:
        print("interrupted", time.monotonic(), flush=True)
        sys.exit(3)
    """
)


@pytest.mark.parametrize("kind", ["blocking", "spinning", "stdin"])
def test_ctrl_c_during_a_stuck_read(ministack, mboto, mbucket, kind: str) -> None:
    args = [
        sys.executable,
        "-c",
        CHILD,
        ministack.url,
        ministack.access_key,
        ministack.secret_key,
        mbucket,
        kind,
    ]
    child = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )  # stdin: a pipe nobody writes to
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "reading", child.stderr.read() if child.stderr else line
    time.sleep(0.5)  # the read is under way
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    try:
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 3, (child.returncode, err)
    interrupted_at = float(out.split("interrupted")[1].split()[0])
    print(f"{kind} read(): KeyboardInterrupt {interrupted_at - sent:.2f} s after SIGINT")
    assert interrupted_at - sent < 0.5
    assert "Fatal Python error" not in err
    assert not mboto.list_multipart_uploads(Bucket=mbucket).get("Uploads")
