"""Basic object actions through the Object resource, in the shape of AWS's ObjectWrapper."""

import logging

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


class ObjectWrapper:
    """Wraps one S3 object resource."""

    def __init__(self, s3_object):
        self.object = s3_object
        self.key = self.object.key

    def put(self, data):
        """Upload bytes, or the file named by a str, and wait until the object exists."""
        put_data = open(data, "rb") if isinstance(data, str) else data
        try:
            self.object.put(Body=put_data)
            self.object.wait_until_exists()
            logger.info("Put object %s to bucket %s.", self.object.key, self.object.bucket_name)
        except ClientError:
            logger.exception("Couldn't put object %s.", self.object.key)
            raise
        finally:
            if getattr(put_data, "close", None):
                put_data.close()

    def get(self):
        """The object's bytes."""
        try:
            return self.object.get()["Body"].read()
        except ClientError:
            logger.exception("Couldn't get object %s.", self.object.key)
            raise

    @staticmethod
    def list(bucket, prefix=None):
        """The bucket's objects, optionally those under a prefix."""
        try:
            if not prefix:
                return list(bucket.objects.all())
            return list(bucket.objects.filter(Prefix=prefix))
        except ClientError:
            logger.exception("Couldn't list objects of bucket %s.", bucket.name)
            raise

    def copy(self, dest_object):
        """Copy this object onto ``dest_object`` and wait for the copy."""
        try:
            dest_object.copy_from(CopySource={"Bucket": self.object.bucket_name, "Key": self.object.key})
            dest_object.wait_until_exists()
        except ClientError:
            logger.exception("Couldn't copy object %s.", self.object.key)
            raise

    def delete(self):
        """Delete this object and wait until it is gone."""
        try:
            self.object.delete()
            self.object.wait_until_not_exists()
        except ClientError:
            logger.exception("Couldn't delete object %s.", self.object.key)
            raise

    @staticmethod
    def delete_objects(bucket, object_keys):
        """Delete some keys in one request; the response lists what was deleted."""
        try:
            response = bucket.delete_objects(Delete={"Objects": [{"Key": key} for key in object_keys]})
            if "Errors" in response:
                logger.warning("Could not delete %s.", [e["Key"] for e in response["Errors"]])
            return response
        except ClientError:
            logger.exception("Couldn't delete objects from bucket %s.", bucket.name)
            raise

    @staticmethod
    def empty_bucket(bucket):
        """Delete every object of the bucket (a batch action)."""
        try:
            bucket.objects.delete()
        except ClientError:
            logger.exception("Couldn't empty bucket %s.", bucket.name)
            raise


def usage_demo(bucket_name, lines):
    """Put a few objects, list, read, copy and delete them; returns what it observed."""
    s3_resource = boto3.resource("s3")
    bucket = s3_resource.Bucket(bucket_name)
    bucket.create()
    seen = []
    wrappers = []
    for number, line in enumerate(lines):
        wrapper = ObjectWrapper(bucket.Object(f"line-{number}"))
        wrapper.put(line.encode("utf-8"))
        wrappers.append(wrapper)
    seen.append(sorted(o.key for o in ObjectWrapper.list(bucket, "line-")))
    last = wrappers.pop()
    seen.append(last.get())
    last.delete()
    copied = bucket.Object(wrappers[0].key + "-copy")
    wrappers[0].copy(copied)
    seen.append(ObjectWrapper(copied).get())
    response = ObjectWrapper.delete_objects(bucket, [wrappers[1].key])
    seen.append([d["Key"] for d in response["Deleted"]])
    seen.append(sorted(o.key for o in ObjectWrapper.list(bucket)))
    ObjectWrapper.empty_bucket(bucket)
    bucket.delete()
    seen.append(bucket_name in [b.name for b in s3_resource.buckets.all()])
    return seen
