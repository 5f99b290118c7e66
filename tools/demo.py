"""s3seal's main job, end to end: encrypted round trips in all three SSE modes, and the
wrong-key failure, against a local ministack that this script starts and stops itself.

Run: make demo   (or: python tools/demo.py [--endpoint-url URL] to use your own server)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import s3seal
from s3seal.exceptions import ClientError


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

    print("all round trips ok" if ok else "SOME ROUND TRIPS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
