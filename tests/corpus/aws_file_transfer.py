# --- corpus origin (added by s3seal; everything down to the driver section is upstream) ---
# Repository: https://github.com/awsdocs/aws-doc-sdk-examples
# Path:       python/example_code/s3/file_transfer/file_transfer.py (the whole file)
# Commit:     7d1e1237789cbf5033a7c22d917d17c64de1aaaa
# License:    Apache-2.0 (Copyright Amazon.com, Inc. or its affiliates)
# Adapted:    nothing in the upstream code; the endpoint, credentials and region come from
#             the environment (AWS_ENDPOINT_URL, ...), bucket names from the driver below.
# ---
# Copyright Amazon.com, Inc. or its affiliates. All Rights Reserved.
# SPDX-License-Identifier: Apache-2.0

"""
Use Boto 3 managed file transfers to manage multipart uploads to and downloads
from an Amazon S3 bucket.

When the file to transfer is larger than the specified threshold, the transfer
manager automatically uses multipart uploads or downloads. This demonstration
shows how to use several of the available transfer manager settings and reports
thread usage and time to transfer.
"""

# snippet-start:[S3.Python.s3_file_transfer.complete]
import sys
import threading

import boto3
from boto3.s3.transfer import TransferConfig


MB = 1024 * 1024
s3 = boto3.resource("s3")


class TransferCallback:
    """
    Handle callbacks from the transfer manager.

    The transfer manager periodically calls the __call__ method throughout
    the upload and download process so that it can take action, such as
    displaying progress to the user and collecting data about the transfer.
    """

    def __init__(self, target_size):
        self._target_size = target_size
        self._total_transferred = 0
        self._lock = threading.Lock()
        self.thread_info = {}

    def __call__(self, bytes_transferred):
        """
        The callback method that is called by the transfer manager.

        Display progress during file transfer and collect per-thread transfer
        data. This method can be called by multiple threads, so shared instance
        data is protected by a thread lock.
        """
        thread = threading.current_thread()
        with self._lock:
            self._total_transferred += bytes_transferred
            if thread.ident not in self.thread_info.keys():
                self.thread_info[thread.ident] = bytes_transferred
            else:
                self.thread_info[thread.ident] += bytes_transferred

            target = self._target_size * MB
            sys.stdout.write(
                f"\r{self._total_transferred} of {target} transferred "
                f"({(self._total_transferred / target) * 100:.2f}%)."
            )
            sys.stdout.flush()


def upload_with_default_configuration(
    local_file_path, bucket_name, object_key, file_size_mb
):
    """
    Upload a file from a local folder to an Amazon S3 bucket, using the default
    configuration.
    """
    transfer_callback = TransferCallback(file_size_mb)
    s3.Bucket(bucket_name).upload_file(
        local_file_path, object_key, Callback=transfer_callback
    )
    return transfer_callback.thread_info


def upload_with_chunksize_and_meta(
    local_file_path, bucket_name, object_key, file_size_mb, metadata=None
):
    """
    Upload a file from a local folder to an Amazon S3 bucket, setting a
    multipart chunk size and adding metadata to the Amazon S3 object.

    The multipart chunk size controls the size of the chunks of data that are
    sent in the request. A smaller chunk size typically results in the transfer
    manager using more threads for the upload.

    The metadata is a set of key-value pairs that are stored with the object
    in Amazon S3.
    """
    transfer_callback = TransferCallback(file_size_mb)

    config = TransferConfig(multipart_chunksize=1 * MB)
    extra_args = {"Metadata": metadata} if metadata else None
    s3.Bucket(bucket_name).upload_file(
        local_file_path,
        object_key,
        Config=config,
        ExtraArgs=extra_args,
        Callback=transfer_callback,
    )
    return transfer_callback.thread_info


def upload_with_high_threshold(local_file_path, bucket_name, object_key, file_size_mb):
    """
    Upload a file from a local folder to an Amazon S3 bucket, setting a
    multipart threshold larger than the size of the file.

    Setting a multipart threshold larger than the size of the file results
    in the transfer manager sending the file as a standard upload instead of
    a multipart upload.
    """
    transfer_callback = TransferCallback(file_size_mb)
    config = TransferConfig(multipart_threshold=file_size_mb * 2 * MB)
    s3.Bucket(bucket_name).upload_file(
        local_file_path, object_key, Config=config, Callback=transfer_callback
    )
    return transfer_callback.thread_info


def upload_with_sse(
    local_file_path, bucket_name, object_key, file_size_mb, sse_key=None
):
    """
    Upload a file from a local folder to an Amazon S3 bucket, adding server-side
    encryption with customer-provided encryption keys to the object.

    When this kind of encryption is specified, Amazon S3 encrypts the object
    at rest and allows downloads only when the expected encryption key is
    provided in the download request.
    """
    transfer_callback = TransferCallback(file_size_mb)
    if sse_key:
        extra_args = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": sse_key}
    else:
        extra_args = None
    s3.Bucket(bucket_name).upload_file(
        local_file_path, object_key, ExtraArgs=extra_args, Callback=transfer_callback
    )
    return transfer_callback.thread_info


def download_with_default_configuration(
    bucket_name, object_key, download_file_path, file_size_mb
):
    """
    Download a file from an Amazon S3 bucket to a local folder, using the
    default configuration.
    """
    transfer_callback = TransferCallback(file_size_mb)
    s3.Bucket(bucket_name).Object(object_key).download_file(
        download_file_path, Callback=transfer_callback
    )
    return transfer_callback.thread_info


def download_with_single_thread(
    bucket_name, object_key, download_file_path, file_size_mb
):
    """
    Download a file from an Amazon S3 bucket to a local folder, using a
    single thread.
    """
    transfer_callback = TransferCallback(file_size_mb)
    config = TransferConfig(use_threads=False)
    s3.Bucket(bucket_name).Object(object_key).download_file(
        download_file_path, Config=config, Callback=transfer_callback
    )
    return transfer_callback.thread_info


def download_with_high_threshold(
    bucket_name, object_key, download_file_path, file_size_mb
):
    """
    Download a file from an Amazon S3 bucket to a local folder, setting a
    multipart threshold larger than the size of the file.

    Setting a multipart threshold larger than the size of the file results
    in the transfer manager sending the file as a standard download instead
    of a multipart download.
    """
    transfer_callback = TransferCallback(file_size_mb)
    config = TransferConfig(multipart_threshold=file_size_mb * 2 * MB)
    s3.Bucket(bucket_name).Object(object_key).download_file(
        download_file_path, Config=config, Callback=transfer_callback
    )
    return transfer_callback.thread_info


def download_with_sse(
    bucket_name, object_key, download_file_path, file_size_mb, sse_key
):
    """
    Download a file from an Amazon S3 bucket to a local folder, adding a
    customer-provided encryption key to the request.

    When this kind of encryption is specified, Amazon S3 encrypts the object
    at rest and allows downloads only when the expected encryption key is
    provided in the download request.
    """
    transfer_callback = TransferCallback(file_size_mb)

    if sse_key:
        extra_args = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": sse_key}
    else:
        extra_args = None
    s3.Bucket(bucket_name).Object(object_key).download_file(
        download_file_path, ExtraArgs=extra_args, Callback=transfer_callback
    )
    return transfer_callback.thread_info


# snippet-end:[S3.Python.s3_file_transfer.complete]


# --- corpus driver (s3seal's, not upstream) ---
# The progress lines the callback prints depend on how the transfer is cut into chunks, which
# is no part of boto3's contract; the bytes reported in total are compared instead.
CORPUS_COMPARE_STDOUT = False
SIZE_MB = 9  # above the default 8 MB threshold: multipart


def _file(ctx, size_mb=SIZE_MB):
    import os

    path = os.path.join(str(ctx.tmp), "upload.bin")
    with open(path, "wb") as f:
        f.write(bytes(range(256)) * (size_mb * MB // 256))
    return path


def _read(path):
    import hashlib

    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def corpus_default_upload_download(ctx):
    bucket, path = ctx.bucket(), _file(ctx)
    up = upload_with_default_configuration(path, bucket, "big.bin", SIZE_MB)
    down = download_with_default_configuration(bucket, "big.bin", path + ".down", SIZE_MB)
    return sum(up.values()), sum(down.values()), _read(path) == _read(path + ".down")


def corpus_chunksize_and_meta(ctx):
    bucket, path = ctx.bucket(), _file(ctx, 3)
    up = upload_with_chunksize_and_meta(path, bucket, "meta.bin", 3, metadata={"purpose": "demo"})
    head = s3.Object(bucket, "meta.bin")
    return sum(up.values()), head.metadata, head.content_length, head.e_tag


def corpus_high_threshold(ctx):
    bucket, path = ctx.bucket(), _file(ctx)
    up = upload_with_high_threshold(path, bucket, "single.bin", SIZE_MB)
    down = download_with_high_threshold(bucket, "single.bin", path + ".down", SIZE_MB)
    return sum(up.values()), sum(down.values()), s3.Object(bucket, "single.bin").e_tag


def corpus_single_thread_download(ctx):
    bucket, path = ctx.bucket(), _file(ctx)
    upload_with_default_configuration(path, bucket, "big.bin", SIZE_MB)
    down = download_with_single_thread(bucket, "big.bin", path + ".down", SIZE_MB)
    return sum(down.values()), len(down), _read(path) == _read(path + ".down")


def corpus_sse_c(ctx):
    bucket, path = ctx.bucket(), _file(ctx)
    key = "0123456789abcdef0123456789abcdef"
    up = upload_with_sse(path, bucket, "sse.bin", SIZE_MB, sse_key=key)
    down = download_with_sse(bucket, "sse.bin", path + ".down", SIZE_MB, key)
    try:
        download_with_default_configuration(bucket, "sse.bin", path + ".nokey", SIZE_MB)
        refused = None
    except Exception as e:
        refused = type(e).__name__
    return sum(up.values()), sum(down.values()), _read(path) == _read(path + ".down"), refused
