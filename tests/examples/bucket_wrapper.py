"""Bucket actions through the Bucket resource, in the shape of AWS's BucketWrapper."""

import json
import logging

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


class BucketWrapper:
    """Wraps one S3 bucket resource."""

    def __init__(self, bucket):
        self.bucket = bucket
        self.name = bucket.name

    def create(self, region_override=None):
        """Create the bucket in the client's region and wait until it exists."""
        region = region_override or self.bucket.meta.client.meta.region_name
        try:
            if region == "us-east-1":
                self.bucket.create()
            else:
                self.bucket.create(CreateBucketConfiguration={"LocationConstraint": region})
            self.bucket.wait_until_exists()
        except ClientError:
            logger.exception("Couldn't create bucket %s in region %s.", self.name, region)
            raise

    def exists(self):
        """Whether the bucket exists and is reachable (a HeadBucket through load())."""
        try:
            self.bucket.meta.client.head_bucket(Bucket=self.bucket.name)
            return True
        except ClientError:
            return False

    @staticmethod
    def list(s3_resource):
        """Every bucket of the account."""
        try:
            return list(s3_resource.buckets.all())
        except ClientError:
            logger.exception("Couldn't list buckets.")
            raise

    def put_cors(self, cors_rules):
        """Apply CORS rules."""
        try:
            self.bucket.Cors().put(CORSConfiguration={"CORSRules": cors_rules})
        except ClientError:
            logger.exception("Couldn't put CORS rules on %s.", self.name)
            raise

    def get_cors(self):
        """The CORS rules, through the BucketCors resource."""
        try:
            return self.bucket.Cors()
        except ClientError:
            logger.exception("Couldn't get CORS for %s.", self.name)
            raise

    def delete_cors(self):
        try:
            self.bucket.Cors().delete()
        except ClientError:
            logger.exception("Couldn't delete CORS from %s.", self.name)
            raise

    def put_policy(self, policy):
        """Attach a bucket policy (a dict)."""
        try:
            self.bucket.Policy().put(Policy=json.dumps(policy))
        except ClientError:
            logger.exception("Couldn't apply a policy to %s.", self.name)
            raise

    def get_policy(self):
        try:
            return json.loads(self.bucket.Policy().policy)
        except ClientError:
            logger.exception("Couldn't get the policy of %s.", self.name)
            raise

    def put_lifecycle_configuration(self, lifecycle_rules):
        try:
            self.bucket.LifecycleConfiguration().put(LifecycleConfiguration={"Rules": lifecycle_rules})
        except ClientError:
            logger.exception("Couldn't put lifecycle rules on %s.", self.name)
            raise

    def get_lifecycle_configuration(self):
        try:
            return self.bucket.LifecycleConfiguration().rules
        except ClientError:
            logger.exception("Couldn't get lifecycle rules of %s.", self.name)
            raise

    def delete(self):
        """Delete the (empty) bucket and wait until it is gone."""
        try:
            self.bucket.delete()
            self.bucket.wait_until_not_exists()
        except ClientError:
            logger.exception("Couldn't delete bucket %s.", self.name)
            raise


def usage_demo(bucket_name):
    """Create a bucket, configure it, read the configuration back, delete it."""
    s3_resource = boto3.resource("s3")
    wrapper = BucketWrapper(s3_resource.Bucket(bucket_name))
    seen = [wrapper.exists()]
    wrapper.create()
    seen.append(wrapper.exists())
    seen.append(bucket_name in [b.name for b in BucketWrapper.list(s3_resource)])
    wrapper.put_cors([{"AllowedOrigins": ["http://www.example.com"], "AllowedMethods": ["PUT", "POST"]}])
    seen.append([(r["AllowedOrigins"], r["AllowedMethods"]) for r in wrapper.get_cors().cors_rules])
    wrapper.delete_cors()
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket_name}/*",
            }
        ],
    }
    wrapper.put_policy(policy)
    seen.append(wrapper.get_policy()["Statement"][0]["Action"])
    rules = [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}]
    wrapper.put_lifecycle_configuration(rules)
    seen.append([(r["ID"], r["Expiration"]) for r in wrapper.get_lifecycle_configuration()])
    wrapper.delete()
    seen.append(wrapper.exists())
    return seen
