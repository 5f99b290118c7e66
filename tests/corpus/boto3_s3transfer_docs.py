# --- corpus origin (added by s3seal; everything down to the driver section is upstream) ---
# Repository: https://github.com/boto/boto3
# Path:       boto3/s3/transfer.py: the usage examples of the module docstring (lines 46-121)
# Commit:     722e01b074c67db38ad226ac1a2dab5c36c1577c
# License:    Apache-2.0 (Copyright 2015 Amazon.com, Inc. or its affiliates)
# Adapted:    the examples wrapped in functions taking the bucket and file names the docstring
#             writes as placeholders ('bucket', '/tmp/myfile'); region from the environment
#             rather than 'us-west-2'. The library calls are unchanged: boto3's S3Transfer,
#             imported from boto3.s3.transfer as the docstring's reader would, over the client.
# ---
import os
import sys
import threading

import boto3
from boto3.s3.transfer import S3Transfer, TransferConfig


# lines 46-70
def simplest(MYFILE, BUCKET):
    client = boto3.client('s3')
    transfer = S3Transfer(client)
    # Upload /tmp/myfile to s3://bucket/key
    transfer.upload_file(MYFILE, BUCKET, 'key')

    # Download s3://bucket/key to /tmp/myfile
    transfer.download_file(BUCKET, 'key', MYFILE)

    # Setting metadata
    transfer.upload_file(MYFILE, BUCKET, 'key',
                         extra_args={'Metadata': {'a': 'b', 'c': 'd'}})

    # Setting content type
    transfer.upload_file(MYFILE, BUCKET, 'key.json',
                         extra_args={'ContentType': "application/json"})


# lines 79-104
class ProgressPercentage(object):
    def __init__(self, filename):
        self._filename = filename
        self._size = float(os.path.getsize(filename))
        self._seen_so_far = 0
        self._lock = threading.Lock()

    def __call__(self, bytes_amount):
        # To simplify we'll assume this is hooked up
        # to a single filename.
        with self._lock:
            self._seen_so_far += bytes_amount
            percentage = (self._seen_so_far / self._size) * 100
            sys.stdout.write(
                "\r%s  %s / %s  (%.2f%%)" % (
                    self._filename, self._seen_so_far, self._size,
                    percentage))
            sys.stdout.flush()


def with_progress(MYFILE, BUCKET):
    transfer = S3Transfer(boto3.client('s3'))
    # Upload /tmp/myfile to s3://bucket/key and print upload progress.
    progress = ProgressPercentage(MYFILE)
    transfer.upload_file(MYFILE, BUCKET, 'key',
                         callback=progress)
    return progress


# lines 112-121
def with_config(FOO, BUCKET):
    client = boto3.client('s3')
    config = TransferConfig(
        multipart_threshold=8 * 1024 * 1024,
        max_concurrency=10,
        num_download_attempts=10,
    )
    transfer = S3Transfer(client, config)
    transfer.upload_file(FOO, BUCKET, 'key')


# --- corpus driver (s3seal's, not upstream) ---
CORPUS_COMPARE_STDOUT = False  # progress lines depend on how the transfer is cut


def _file(size):
    with open("myfile", "wb") as f:
        f.write(bytes(range(256)) * (size // 256))
    return "myfile"


def _head(bucket, key):
    import boto3 as real  # the observation, by real boto3 in both runs

    head = real.client("s3").head_object(Bucket=bucket, Key=key)
    return head["ContentLength"], head["ContentType"], head["Metadata"]


def corpus_simplest(ctx):
    bucket = ctx.bucket()
    simplest(_file(64 * 1024), bucket)
    return _head(bucket, "key"), _head(bucket, "key.json")


def corpus_progress_multipart(ctx):
    bucket = ctx.bucket()
    progress = with_progress(_file(9 * 1024 * 1024), bucket)
    return progress._seen_so_far, _head(bucket, "key")


def corpus_transfer_config(ctx):
    bucket = ctx.bucket()
    with_config(_file(9 * 1024 * 1024), bucket)
    return _head(bucket, "key")
