"""Managed transfers with a customer-provided key (SSE-C) through the Bucket and Object
resources, in the shape of AWS's file_transfer demo."""

import hashlib
import os

import boto3

s3 = boto3.resource("s3")


def upload_with_sse(local_file_path, bucket_name, object_key, sse_key):
    """Upload a file encrypted with the caller's key."""
    extra_args = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": sse_key}
    s3.Bucket(bucket_name).upload_file(local_file_path, object_key, ExtraArgs=extra_args)


def download_with_sse(bucket_name, object_key, download_file_path, sse_key):
    """Download the object, decrypted with the same key."""
    extra_args = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": sse_key}
    s3.Object(bucket_name, object_key).download_file(download_file_path, ExtraArgs=extra_args)


def usage_demo(bucket_name, workdir, size):
    sse_key = os.urandom(32)
    s3.create_bucket(Bucket=bucket_name)
    source = os.path.join(workdir, "upload.bin")
    with open(source, "wb") as f:
        f.write(os.urandom(size))
    upload_with_sse(source, bucket_name, "demo-file", sse_key)
    target = os.path.join(workdir, "download.bin")
    download_with_sse(bucket_name, "demo-file", target, sse_key)
    with open(source, "rb") as a, open(target, "rb") as b:
        same = hashlib.sha256(a.read()).digest() == hashlib.sha256(b.read()).digest()
    head_size = s3.Object(bucket_name, "demo-file").meta.client.head_object(
        Bucket=bucket_name, Key="demo-file", SSECustomerAlgorithm="AES256", SSECustomerKey=sse_key
    )["ContentLength"]
    s3.Bucket(bucket_name).objects.all().delete()
    s3.Bucket(bucket_name).delete()
    return [same, head_size]
