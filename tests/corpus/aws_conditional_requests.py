# --- corpus origin (added by s3seal; everything down to the driver section is upstream) ---
# Repository: https://github.com/awsdocs/aws-doc-sdk-examples
# Path:       python/example_code/s3/scenarios/conditional_requests/s3_conditional_requests.py (the whole file)
# Commit:     7d1e1237789cbf5033a7c22d917d17c64de1aaaa
# License:    Apache-2.0 (Copyright Amazon.com, Inc. or its affiliates)
# Adapted:    nothing in the upstream code; the endpoint, credentials and region come from
#             the environment (AWS_ENDPOINT_URL, ...), bucket names from the driver below.
# ---
# Copyright Amazon.com, Inc. or its affiliates. All Rights Reserved.
# SPDX-License-Identifier: Apache-2.0

# snippet-start:[python.example_code.s3.S3ConditionalRequests.wrapper]

import boto3
import logging

from botocore.exceptions import ClientError

# Configure logging
logger = logging.getLogger(__name__)


# snippet-start:[python.example_code.s3.helper.S3ConditionalRequests]
class S3ConditionalRequests:
    """Encapsulates S3 conditional request operations."""

    def __init__(self, s3_client):
        self.s3 = s3_client

    @classmethod
    def from_client(cls):
        """
        Instantiates this class from a Boto3 client.
        """
        s3_client = boto3.client("s3")
        return cls(s3_client)

    # snippet-end:[python.example_code.s3.helper.S3ConditionalRequests]

    # snippet-start:[python.example_code.s3.GetObjectConditional]

    def get_object_conditional(
        self,
        object_key: str,
        source_bucket: str,
        condition_type: str,
        condition_value: str,
    ):
        """
        Retrieves an object from Amazon S3 with a conditional request.

        :param object_key: The key of the object to retrieve.
        :param source_bucket: The source bucket of the object.
        :param condition_type: The type of condition: 'IfMatch', 'IfNoneMatch', 'IfModifiedSince', 'IfUnmodifiedSince'.
        :param condition_value: The value to use for the condition.
        """
        try:
            response = self.s3.get_object(
                Bucket=source_bucket,
                Key=object_key,
                **{condition_type: condition_value},
            )
            sample_bytes = response["Body"].read(20)
            print(
                f"\tConditional read successful. Here are the first 20 bytes of the object:\n"
            )
            print(f"\t{sample_bytes}")
        except ClientError as e:
            error_code = e.response["Error"]["Code"]
            if error_code == "PreconditionFailed":
                print("\tConditional read failed: Precondition failed")
            elif error_code == "304":  # Not modified error code.
                print("\tConditional read failed: Object not modified")
            else:
                logger.error(f"Unexpected error: {error_code}")
                raise

    # snippet-end:[python.example_code.s3.GetObjectConditional]

    # snippet-start:[python.example_code.s3.PutObjectConditional]

    def put_object_conditional(self, object_key: str, source_bucket: str, data: bytes):
        """
        Uploads an object to Amazon S3 with a conditional request. Prevents overwrite
        using an IfNoneMatch condition for the object key.

        :param object_key: The key of the object to upload.
        :param source_bucket: The source bucket of the object.
        :param data: The data to upload.
        """
        try:
            self.s3.put_object(
                Bucket=source_bucket, Key=object_key, Body=data, IfNoneMatch="*"
            )
            print(
                f"\tConditional write successful for key {object_key} in bucket {source_bucket}."
            )
        except ClientError as e:
            error_code = e.response["Error"]["Code"]
            if error_code == "PreconditionFailed":
                print("\tConditional write failed: Precondition failed")
            else:
                logger.error(f"Unexpected error: {error_code}")
                raise

    # snippet-end:[python.example_code.s3.PutObjectConditional]

    # snippet-start:[python.example_code.s3.CopyObjectConditional]
    def copy_object_conditional(
        self,
        source_key: str,
        dest_key: str,
        source_bucket: str,
        dest_bucket: str,
        condition_type: str,
        condition_value: str,
    ):
        """
        Copies an object from one Amazon S3 bucket to another with a conditional request.

        :param source_key: The key of the source object to copy.
        :param dest_key: The key of the destination object.
        :param source_bucket: The source bucket of the object.
        :param dest_bucket: The destination bucket of the object.
        :param condition_type: The type of condition to apply, e.g.
        'CopySourceIfMatch', 'CopySourceIfNoneMatch', 'CopySourceIfModifiedSince', 'CopySourceIfUnmodifiedSince'.
        :param condition_value: The value to use for the condition.
        """
        try:
            self.s3.copy_object(
                Bucket=dest_bucket,
                Key=dest_key,
                CopySource={"Bucket": source_bucket, "Key": source_key},
                **{condition_type: condition_value},
            )
            print(
                f"\tConditional copy successful for key {dest_key} in bucket {dest_bucket}."
            )
        except ClientError as e:
            error_code = e.response["Error"]["Code"]
            if error_code == "PreconditionFailed":
                print("\tConditional copy failed: Precondition failed")
            elif error_code == "304":  # Not modified error code.
                print("\tConditional copy failed: Object not modified")
            else:
                logger.error(f"Unexpected error: {error_code}")
                raise

    # snippet-end:[python.example_code.s3.CopyObjectConditional]
# snippet-end:[python.example_code.s3.S3ConditionalRequests.wrapper]


# --- corpus driver (s3seal's, not upstream) ---
def corpus_conditional_requests(ctx):
    import datetime

    bucket, dest = ctx.bucket(), ctx.bucket()
    wrapper = S3ConditionalRequests.from_client()
    wrapper.put_object_conditional("cond.txt", bucket, b"conditional requests demo")
    wrapper.put_object_conditional("cond.txt", bucket, b"overwrite attempt")
    etag = wrapper.s3.head_object(Bucket=bucket, Key="cond.txt")["ETag"]
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    for condition, value in [
        ("IfMatch", etag),
        ("IfMatch", '"0123"'),
        ("IfNoneMatch", etag),
        ("IfModifiedSince", past),
        ("IfModifiedSince", future),
        ("IfUnmodifiedSince", past),
    ]:
        wrapper.get_object_conditional("cond.txt", bucket, condition, value)
    for condition, value in [
        ("CopySourceIfMatch", etag),
        ("CopySourceIfNoneMatch", etag),
        ("CopySourceIfUnmodifiedSince", past),
    ]:
        wrapper.copy_object_conditional("cond.txt", f"copy-{condition}", bucket, dest, condition, value)
