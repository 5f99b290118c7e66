# --- corpus origin (added by s3seal; everything down to the driver section is upstream) ---
# Repository: https://github.com/aws-samples/aws-genai-llm-chatbot
# Path:       lib/shared/layers/python-sdk/python/genai_core/utils/files.py (commit
#             2740a505d42ae1ebbc85b178b2bbf791c5ab5306), .../utils/delete_files_with_prefix.py
#             (commit 043ed5e1acf335ab868797432cad2ed213200048),
#             .../utils/delete_files_with_object_key.py (commit
#             725518850ce04c729995d9558098906bf3a25743): the whole files, concatenated
# License:    MIT-0 (Copyright Amazon.com, Inc. or its affiliates)
# Adapted:    `from aws_lambda_powertools import Logger` (not installed here) is replaced by a
#             stand-in with the same info() call; the three files' imports are merged at the
#             top. The region comes from AWS_REGION, set by the driver as Lambda sets it.
# ---
import logging
import os

import boto3
from botocore.config import Config


def Logger():  # corpus stand-in for aws_lambda_powertools.Logger
    return logging.getLogger("genai_core")


logger = Logger()

# --- files.py ---
s3 = boto3.client("s3")


def file_exists(bucket, key):
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except boto3.exceptions.botocore.exceptions.ClientError as e:
        # If a client error is thrown, then check that it was a 404 error.
        # If it was a 404 error, then the file doesn't exist.
        error_code = int(e.response['Error']['Code'])
        if error_code == 404:
            return False
        else:
            raise


# --- delete_files_with_prefix.py ---
def delete_files_with_prefix(bucket_name, prefix):
    s3_client = boto3.client("s3", region_name = os.environ['AWS_REGION'], config = Config(signature_version = 's3v4'))
    continuation_token = None

    while True:
        # If we have a continuation token from the previous response, use it
        if continuation_token:
            objects_to_delete = s3_client.list_objects_v2(
                Bucket=bucket_name, Prefix=prefix, ContinuationToken=continuation_token
            )
        else:
            objects_to_delete = s3_client.list_objects_v2(
                Bucket=bucket_name, Prefix=prefix
            )

        # Prepare the list of objects to delete
        if "Contents" in objects_to_delete:
            delete_list = [{"Key": obj["Key"]} for obj in objects_to_delete["Contents"]]

            # Delete the objects in a batch
            s3_client.delete_objects(
                Bucket=bucket_name, Delete={"Objects": delete_list}
            )

        # If there"s no NextContinuationToken in the response, we"ve fetched all objects
        if "NextContinuationToken" in objects_to_delete:
            continuation_token = objects_to_delete["NextContinuationToken"]
        else:
            logger.info("Finished deleting all objects with the specified prefix.")
            break


# --- delete_files_with_object_key.py ---
def delete_files_with_object_key(bucket_name, object_key):
    s3_client = boto3.client("s3", region_name = os.environ['AWS_REGION'], config = Config(signature_version = 's3v4'))
    s3_client.delete_object(Bucket=bucket_name, Key=object_key)
    logger.info(f"Deleted {object_key} from {bucket_name}.")


# --- corpus driver (s3seal's, not upstream) ---
def _put_many(bucket, keys):
    from concurrent.futures import ThreadPoolExecutor

    import s3seal  # setup only (the same in both runs); s3seal's client costs less CPU for 1,010 PUTs

    client = s3seal.client("s3")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))


def _keys(bucket):
    import boto3 as real

    pages = real.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def corpus_file_exists(ctx):
    bucket = ctx.bucket()
    _put_many(bucket, ["docs/a.txt"])
    seen = [file_exists(bucket, "docs/a.txt"), file_exists(bucket, "docs/missing.txt")]
    try:
        file_exists(ctx.name(), "docs/a.txt")  # no such bucket: head_object's 404 too
        seen.append("no error")
    except Exception as e:
        seen.append(type(e).__name__)
    return seen


def corpus_delete_with_prefix_over_a_thousand(ctx):
    bucket = ctx.bucket()
    _put_many(bucket, [f"workspace/doc-{i:04d}" for i in range(1010)] + ["keep/me"])
    os.environ["AWS_REGION"] = ctx.region
    try:
        delete_files_with_prefix(bucket, "workspace/")
        delete_files_with_object_key(bucket, "keep/missing")
    finally:
        del os.environ["AWS_REGION"]
    return _keys(bucket)
