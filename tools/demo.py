"""s3seal's main job, end to end: encrypted round trips in all three SSE modes, the
wrong-key failure and an SSE-C file transfer with a progress bar, against a local ministack that this script starts and stops itself.

Run: make demo   (or: python tools/demo.py [--endpoint-url URL] to use your own server)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import s3seal
from s3seal.exceptions import ClientError

MIB = 1024 * 1024
FILE_SIZE = 64 * MIB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint-url", help="use this S3 endpoint instead of a local ministack")
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    server = None
    if args.endpoint_url:
        client = s3seal.client("s3", endpoint_url=args.endpoint_url)
    else:
        import servers

        server = servers.start_ministack(Path(tempfile.mkdtemp(prefix="s3seal-demo-")))
        print(f"started ministack on {server.url}")
        client = s3seal.client("s3", **server.client_kwargs())
    try:
        return run(client)
    finally:
        if server is not None:
            servers.remove(server)
            print("stopped ministack")


def run(client: s3seal.S3Client) -> int:
    bucket = f"s3seal-demo-{int(time.time())}"
    client.create_bucket(Bucket=bucket)
    data = os.urandom(1 << 20)
    key = os.urandom(32)  # an SSE-C key: 32 random bytes, never printed
    ok = True

    def check(label: str, got: bytes) -> None:
        nonlocal ok
        good = got == data
        ok &= good
        print(f"  {label:<44} {'ok' if good else 'MISMATCH'}")

    print("SSE-C (customer key):")
    put = client.put_object(
        Bucket=bucket, Key="ssec.bin", Body=data, SSECustomerAlgorithm="AES256", SSECustomerKey=key
    )
    print(f"  put_object -> ETag {put['ETag']}, key MD5 echoed: {put['SSECustomerKeyMD5'] is not None}")
    got = client.get_object(Bucket=bucket, Key="ssec.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    check("get_object with the key", got["Body"].read())
    try:
        client.get_object(
            Bucket=bucket, Key="ssec.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32)
        )
        print("  get_object with a wrong key                  UNEXPECTEDLY SUCCEEDED")
        ok = False
    except client.exceptions.AccessDenied as e:
        print(
            f"  get_object with a wrong key                  refused: {type(e).__name__} ({e.response['Error']['Code']})"
        )
    except ClientError as e:
        print(f"  get_object with a wrong key                  refused: {e.response['Error']['Code']}")

    print("SSE-KMS:")
    put = client.put_object(
        Bucket=bucket, Key="kms.bin", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/demo-key"
    )
    print(f"  put_object -> ServerSideEncryption={put.get('ServerSideEncryption')}")
    check("get_object", client.get_object(Bucket=bucket, Key="kms.bin")["Body"].read())

    print("SSE-S3:")
    put = client.put_object(Bucket=bucket, Key="s3.bin", Body=data, ServerSideEncryption="AES256")
    print(f"  put_object -> ServerSideEncryption={put.get('ServerSideEncryption')}")
    check("get_object", client.get_object(Bucket=bucket, Key="s3.bin")["Body"].read())

    print("File transfer (SSE-C, multipart, with a progress bar):")
    ok &= transfer_file(client, bucket, key)

    print("all round trips ok" if ok else "SOME ROUND TRIPS FAILED")
    return 0 if ok else 1


class ProgressBar:
    """A boto3-style progress callback: called with byte increments from worker threads."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.shown = label, total, 0, -1
        self.lock = threading.Lock()

    def __call__(self, increment: int) -> None:
        with self.lock:
            self.done += increment
            filled = 30 * self.done // max(self.total, 1)
            if filled == self.shown:
                return  # redraw only when the bar grows
            self.shown = filled
            bar = "#" * filled + "." * (30 - filled)
            end = "\n" if self.done >= self.total else ""
            sys.stdout.write(
                f"\r  {self.label:<14} [{bar}] {self.done / MIB:6.1f}/{self.total / MIB:.0f} MiB{end}"
            )
            sys.stdout.flush()


def transfer_file(client: s3seal.S3Client, bucket: str, key: bytes) -> bool:
    sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    with tempfile.TemporaryDirectory(prefix="s3seal-demo-") as tmp:
        src, dst = Path(tmp) / "video.bin", Path(tmp) / "video.copy"
        src.write_bytes(os.urandom(FILE_SIZE))
        start = time.monotonic()
        client.upload_file(
            str(src), bucket, "video.bin", ExtraArgs=sse, Callback=ProgressBar("upload_file", FILE_SIZE)
        )
        up = time.monotonic() - start
        start = time.monotonic()
        client.download_file(
            bucket, "video.bin", str(dst), ExtraArgs=sse, Callback=ProgressBar("download_file", FILE_SIZE)
        )
        down = time.monotonic() - start
        etag = client.head_object(Bucket=bucket, Key="video.bin", **sse)["ETag"]
        same = hashlib.sha256(src.read_bytes()).digest() == hashlib.sha256(dst.read_bytes()).digest()
    print(f"  {FILE_SIZE // MIB} MiB in {etag.rsplit('-', 1)[-1].strip(chr(34))} parts, ETag {etag}")
    print(f"  up {up:.2f} s, down {down:.2f} s, sha256 {'matches' if same else 'MISMATCH'}")
    return same


if __name__ == "__main__":
    sys.exit(main())
