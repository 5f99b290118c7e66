"""A versioned bucket's revisions, rollback, deletion, revival and purge, through resources, in
the shape of AWS's s3_versioning example."""

import logging
from operator import attrgetter

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

s3 = boto3.resource("s3")


def create_versioned_bucket(bucket_name, prefix):
    """A bucket with versioning on and noncurrent versions expiring after a week."""
    try:
        bucket = s3.create_bucket(Bucket=bucket_name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
        bucket = s3.Bucket(bucket_name)
    bucket.Versioning().enable()
    try:
        bucket.LifecycleConfiguration().put(
            LifecycleConfiguration={
                "Rules": [
                    {
                        "Status": "Enabled",
                        "Prefix": prefix,
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
                    }
                ]
            }
        )
    except ClientError as error:
        logger.warning("Couldn't configure a lifecycle on %s: %s. Continuing.", bucket.name, error)
    return bucket


def rollback_object(bucket, object_key, version_id):
    """Delete every version newer than ``version_id``."""
    versions = sorted(
        bucket.object_versions.filter(Prefix=object_key), key=attrgetter("last_modified"), reverse=True
    )
    if version_id not in [version.version_id for version in versions]:
        raise KeyError(f"{version_id} was not found in the versions of {object_key}.")
    for version in versions:
        if version.version_id == version_id:
            break
        version.delete()
    return bucket.Object(object_key).version_id


def revive_object(bucket, object_key):
    """Remove the delete marker that hides the latest version."""
    response = s3.meta.client.list_object_versions(Bucket=bucket.name, Prefix=object_key, MaxKeys=1)
    if "DeleteMarkers" not in response:
        return False
    latest = response["DeleteMarkers"][0]
    if not latest["IsLatest"]:
        return False
    bucket.Object(object_key).Version(latest["VersionId"]).delete()
    return True


def permanently_delete_object(bucket, object_key):
    """Delete every version of the object (a batch action over the versions)."""
    bucket.object_versions.filter(Prefix=object_key).delete()


def usage_demo_single_object(bucket_name, stanza, obj_prefix="demo-versioning/"):
    seen = []
    bucket = create_versioned_bucket(bucket_name, obj_prefix)
    seen.append(bucket.Versioning().status)
    obj = bucket.Object(f"{obj_prefix}stanza-1")
    for revision in (stanza, stanza.upper(), stanza.lower(), stanza[::-1]):
        obj.put(Body=bytes(revision, "utf-8"))
    seen.append(obj.get()["Body"].read().decode("utf-8"))
    versions = list(bucket.object_versions.filter(Prefix=obj.key))
    seen.append(len(versions))
    active = rollback_object(bucket, obj.key, versions[2].version_id)
    seen.append(active == versions[2].version_id)
    seen.append(obj.get()["Body"].read().decode("utf-8"))
    obj.delete()
    try:
        obj.get()
    except ClientError as error:
        seen.append(error.response["Error"]["Code"])
    seen.append(revive_object(bucket, obj.key))
    seen.append(obj.get()["Body"].read().decode("utf-8"))
    permanently_delete_object(bucket, obj.key)
    seen.append(len(list(bucket.object_versions.filter(Prefix=obj.key))))
    bucket.delete()
    return seen
