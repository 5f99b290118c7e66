# --- corpus origin (added by s3seal; everything down to the driver section is upstream) ---
# Repository: https://github.com/boto/boto3
# Path:       docs/source/guide/*.rst (the user guide's S3 pages): the python code blocks, each
#             marked below with its page and lines
# Commit:     722e01b074c67db38ad226ac1a2dab5c36c1577c
# License:    Apache-2.0 (Copyright Amazon.com, Inc. or its affiliates)
# Adapted:    the pages' module-level snippets are wrapped in functions (snippet_*) taking
#             the bucket / file / object names the pages write as placeholders
#             ('amzn-s3-demo-bucket', 'FILE_NAME', 'OBJECT_NAME'), so each runs as an item;
#             the library calls are unchanged. Endpoint, credentials and region come from the
#             environment.
# ---
import logging
import os
import sys
import threading

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError


# s3-uploading-files.rst, lines 15-43
def upload_file(file_name, bucket, object_name=None):
    """Upload a file to an S3 bucket

    :param file_name: File to upload
    :param bucket: Bucket to upload to
    :param object_name: S3 object name. If not specified then file_name is used
    :return: True if file was uploaded, else False
    """

    # If S3 object_name was not specified, use file_name
    if object_name is None:
        object_name = os.path.basename(file_name)

    # Upload the file
    s3_client = boto3.client('s3')
    try:
        response = s3_client.upload_file(file_name, bucket, object_name)
    except ClientError as e:
        logging.error(e)
        return False
    return True


# s3-uploading-files.rst, lines 49-53
def snippet_upload_fileobj(FILE_NAME, BUCKET, OBJECT_NAME):
    s3 = boto3.client('s3')
    with open(FILE_NAME, "rb") as f:
        s3.upload_fileobj(f, BUCKET, OBJECT_NAME)


# s3-uploading-files.rst, lines 74-79 (s3 from the block above)
def snippet_upload_metadata(FILE_NAME, BUCKET, OBJECT_NAME):
    s3 = boto3.client('s3')
    s3.upload_file(
        FILE_NAME, BUCKET, OBJECT_NAME,
        ExtraArgs={'Metadata': {'mykey': 'myvalue'}}
    )


# s3-uploading-files.rst, lines 131-154
class ProgressPercentage(object):

    def __init__(self, filename):
        self._filename = filename
        self._size = float(os.path.getsize(filename))
        self._seen_so_far = 0
        self._lock = threading.Lock()

    def __call__(self, bytes_amount):
        # To simplify, assume this is hooked up to a single filename
        with self._lock:
            self._seen_so_far += bytes_amount
            percentage = (self._seen_so_far / self._size) * 100
            sys.stdout.write(
                "\r%s  %s / %s  (%.2f%%)" % (
                    self._filename, self._seen_so_far, self._size,
                    percentage))
            sys.stdout.flush()


# s3-uploading-files.rst, lines 121-126
def snippet_upload_callback(FILE_NAME, BUCKET, OBJECT_NAME):
    s3 = boto3.client('s3')
    s3.upload_file(
        FILE_NAME, BUCKET, OBJECT_NAME,
        Callback=ProgressPercentage(FILE_NAME)
    )


# s3-example-download-file.rst, lines 15-21
def snippet_download_file(BUCKET, OBJECT_NAME, FILE_NAME):
    s3 = boto3.client('s3')
    s3.download_file(BUCKET, OBJECT_NAME, FILE_NAME)


# s3-example-download-file.rst, lines 26-31
def snippet_download_fileobj(BUCKET, OBJECT_NAME, FILE_NAME):
    s3 = boto3.client('s3')
    with open(FILE_NAME, 'wb') as f:
        s3.download_fileobj(BUCKET, OBJECT_NAME, f)


# s3.rst, lines 35-47, 59-67, 78-83
def snippet_transfer_configs(FILE_NAME, BUCKET, OBJECT_NAME):
    # Set the desired multipart threshold value (5GB)
    GB = 1024 ** 3
    config = TransferConfig(multipart_threshold=5*GB)

    # Perform the transfer
    s3 = boto3.client('s3')
    s3.upload_file(FILE_NAME, BUCKET, OBJECT_NAME, Config=config)

    # To consume less downstream bandwidth, decrease the maximum concurrency
    config = TransferConfig(max_concurrency=5)

    # Download an S3 object
    s3 = boto3.client('s3')
    s3.download_file(BUCKET, OBJECT_NAME, FILE_NAME, Config=config)

    # Disable thread use/transfer concurrency
    config = TransferConfig(use_threads=False)

    s3 = boto3.client('s3')
    s3.download_file(BUCKET, OBJECT_NAME, FILE_NAME, Config=config)


# s3-example-creating-buckets.rst, lines 30-59
def create_bucket(bucket_name, region='us-east-1'):
    """Create an S3 bucket in a specified region

    If a region is not specified, the bucket is created in the S3 default
    region (us-east-1).

    :param bucket_name: Bucket to create
    :param region: String region to create bucket in, e.g., 'us-west-2'
    :return: True if bucket created, else False
    """

    # Create bucket
    try:
        bucket_config = {}
        s3_client = boto3.client('s3', region_name=region)
        if region != 'us-east-1':
            bucket_config['CreateBucketConfiguration'] = {'LocationConstraint': region}

        s3_client.create_bucket(Bucket=bucket_name, **bucket_config)
    except ClientError as e:
        logging.error(e)
        return False
    return True


# s3-example-creating-buckets.rst, lines 66-75
def snippet_list_buckets():
    # Retrieve the list of existing buckets
    s3 = boto3.client('s3')
    response = s3.list_buckets()

    # Output the bucket names
    print('Existing buckets:')
    for bucket in response['Buckets']:
        print(f'  {bucket["Name"]}')


# s3-example-bucket-policies.rst, lines 21-29, 41-64, 71-74
def snippet_bucket_policy(BUCKET):
    import json

    # Create a bucket policy
    bucket_name = BUCKET
    bucket_policy = {
        'Version': '2012-10-17',
        'Statement': [{
            'Sid': 'AddPerm',
            'Effect': 'Allow',
            'Principal': '*',
            'Action': ['s3:GetObject'],
            'Resource': f'arn:aws:s3:::{bucket_name}/*'
        }]
    }

    # Convert the policy from JSON dict to string
    bucket_policy = json.dumps(bucket_policy)

    # Set the new policy
    s3 = boto3.client('s3')
    s3.put_bucket_policy(Bucket=bucket_name, Policy=bucket_policy)

    # Retrieve the policy of the specified bucket
    s3 = boto3.client('s3')
    result = s3.get_bucket_policy(Bucket=BUCKET)
    print(result['Policy'])

    # Delete a bucket's policy
    s3 = boto3.client('s3')
    s3.delete_bucket_policy(Bucket=BUCKET)


# s3-example-access-permissions.rst, lines 18-24
def snippet_bucket_acl(BUCKET):
    # Retrieve a bucket's ACL
    s3 = boto3.client('s3')
    result = s3.get_bucket_acl(Bucket=BUCKET)
    print(result)


# s3-example-configuring-buckets.rst, lines 21-48
def get_bucket_cors(bucket_name):
    """Retrieve the CORS configuration rules of an Amazon S3 bucket

    :param bucket_name: string
    :return: List of the bucket's CORS configuration rules. If no CORS
    configuration exists, return empty list. If error, return None.
    """

    # Retrieve the CORS configuration
    s3 = boto3.client('s3')
    try:
        response = s3.get_bucket_cors(Bucket=bucket_name)
    except ClientError as e:
        if e.response['Error']['Code'] == 'NoSuchCORSConfiguration':
            return []
        else:
            # AllAccessDisabled error == bucket not found
            logging.error(e)
            return None
    return response['CORSRules']


# s3-example-configuring-buckets.rst, lines 56-71
def snippet_put_bucket_cors(BUCKET):
    # Define the configuration rules
    cors_configuration = {
        'CORSRules': [{
            'AllowedHeaders': ['Authorization'],
            'AllowedMethods': ['GET', 'PUT'],
            'AllowedOrigins': ['*'],
            'ExposeHeaders': ['ETag', 'x-amz-request-id'],
            'MaxAgeSeconds': 3000
        }]
    }

    # Set the CORS configuration
    s3 = boto3.client('s3')
    s3.put_bucket_cors(Bucket=BUCKET,
                       CORSConfiguration=cors_configuration)


# s3-example-static-web-host.rst, lines 18-25, 34-46, 54-57
def snippet_website(BUCKET):
    # Define the website configuration
    website_configuration = {
        'ErrorDocument': {'Key': 'error.html'},
        'IndexDocument': {'Suffix': 'index.html'},
    }

    # Set the website configuration
    s3 = boto3.client('s3')
    s3.put_bucket_website(Bucket=BUCKET,
                          WebsiteConfiguration=website_configuration)

    # Retrieve the website configuration
    s3 = boto3.client('s3')
    result = s3.get_bucket_website(Bucket=BUCKET)

    # Delete the website configuration
    s3 = boto3.client('s3')
    s3.delete_bucket_website(Bucket=BUCKET)
    return result


# s3-presigned-urls.rst, lines 23-64
def create_presigned_url(
    bucket_name, object_name, region_name, expiration=3600
):
    """Generate a presigned URL to share an S3 object

    :param bucket_name: string
    :param object_name: string
    :param region_name: string
    :param expiration: Time in seconds for the presigned URL to remain valid
    :return: Presigned URL as string. If error, returns None.
    """

    # Generate a presigned URL for the S3 object
    s3_client = boto3.client(
        's3',
        region_name=region_name,
        config=Config(
            signature_version='s3v4',
            s3={'addressing_style': 'virtual'},
        ),
    )
    try:
        response = s3_client.generate_presigned_url(
            'get_object',
            Params={'Bucket': bucket_name, 'Key': object_name},
            ExpiresIn=expiration,
        )
    except ClientError as e:
        logging.error(e)
        return None

    # The response contains the presigned URL
    return response


# s3-presigned-urls.rst, lines 97-146
def create_presigned_url_expanded(
    client_method_name,
    region_name,
    method_parameters=None,
    expiration=3600,
    http_method=None,
):
    """Generate a presigned URL to invoke an S3.Client method

    Not all the client methods provided in the AWS Python SDK are supported.

    :param client_method_name: Name of the S3.Client method, e.g., 'list_buckets'
    :param region_name: Name of the region the s3 client will use for signing, e.g., 'us-west-2'
    :param method_parameters: Dictionary of parameters to send to the method
    :param expiration: Time in seconds for the presigned URL to remain valid
    :param http_method: HTTP method to use (GET, etc.)
    :return: Presigned URL as string. If error, returns None.
    """

    # Generate a presigned URL for the S3 client method
    s3_client = boto3.client(
        's3',
        region_name=region_name,
        config=Config(
            signature_version='s3v4',
            s3={'addressing_style': 'virtual'},
        ),
    )
    try:
        response = s3_client.generate_presigned_url(
            ClientMethod=client_method_name,
            Params=method_parameters,
            ExpiresIn=expiration,
            HttpMethod=http_method,
        )
    except ClientError as e:
        logging.error(e)
        return None

    # The response contains the presigned URL
    return response


# s3-presigned-urls.rst, lines 155-207
def create_presigned_post(
    bucket_name,
    object_name,
    region_name,
    fields=None,
    conditions=None,
    expiration=3600,
):
    """Generate a presigned URL S3 POST request to upload a file

    :param bucket_name: string
    :param object_name: string
    :param region_name: string
    :param fields: Dictionary of prefilled form fields
    :param conditions: List of conditions to include in the policy
    :param expiration: Time in seconds for the presigned URL to remain valid
    :return: Dictionary with the following keys:
        url: URL to post to
        fields: Dictionary of form fields and values to submit with the POST
    :return: None if error.
    """

    # Generate a presigned S3 POST URL
    s3_client = boto3.client(
        's3',
        region_name=region_name,
        config=Config(
            signature_version='s3v4',
            s3={'addressing_style': 'virtual'},
        ),
    )
    try:
        response = s3_client.generate_presigned_post(
            bucket_name,
            object_name,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expiration,
        )
    except ClientError as e:
        logging.error(e)
        return None

    # The response contains the presigned URL and required fields
    return response


# s3-presigned-urls.rst, lines 215-230
def snippet_presigned_post_upload(BUCKET, OBJECT_NAME):
    import requests  # To install: pip install requests

    # Generate a presigned S3 POST URL
    object_name = OBJECT_NAME
    response = create_presigned_post(BUCKET, object_name, 'us-east-1')
    if response is None:
        exit(1)

    # Demonstrate how another Python program can use the presigned URL to upload a file
    with open(object_name, 'rb') as f:
        files = {'file': (object_name, f)}
        http_response = requests.post(response['url'], data=response['fields'], files=files)
    # If successful, returns HTTP status code 204
    logging.info(f'File upload HTTP status code: {http_response.status_code}')
    return http_response.status_code


# --- corpus driver (s3seal's, not upstream) ---
# The progress lines depend on how a transfer is cut into chunks (no part of boto3's contract);
# the drivers compare the objects and files instead.
CORPUS_COMPARE_STDOUT = False


def _file(name="local.txt", data=b"boto3 user guide\n" * 1000):
    with open(name, "wb") as f:
        f.write(data)
    return name


def _get(bucket, key):
    import boto3 as real  # the observation, by real boto3 in both runs

    response = real.client("s3").get_object(Bucket=bucket, Key=key)
    return response["Body"].read(), response.get("Metadata")


def corpus_upload_file(ctx):
    bucket = ctx.bucket()
    ok = upload_file(_file(), bucket)
    try:  # no such bucket: the error upload_file lets through
        missing = upload_file(_file(), ctx.name())
    except Exception as e:
        missing = type(e).__name__, str(e)
    return ok, missing, _get(bucket, "local.txt")


def corpus_upload_fileobj_metadata_callback(ctx):
    bucket = ctx.bucket()
    snippet_upload_fileobj(_file(), bucket, "fileobj.txt")
    snippet_upload_metadata(_file(), bucket, "meta.txt")
    progress = ProgressPercentage(_file())
    boto3.client("s3").upload_file("local.txt", bucket, "callback.txt", Callback=progress)
    snippet_upload_callback(_file(), bucket, "callback2.txt")
    return _get(bucket, "fileobj.txt"), _get(bucket, "meta.txt"), progress._seen_so_far


def corpus_download(ctx):
    bucket = ctx.bucket()
    snippet_upload_fileobj(_file(data=b"download me\n" * 5000), bucket, "object.txt")
    snippet_download_file(bucket, "object.txt", "one.txt")
    snippet_download_fileobj(bucket, "object.txt", "two.txt")
    try:
        snippet_download_file(bucket, "missing.txt", "three.txt")
    except ClientError as e:
        missing = e.response["Error"]["Code"], os.path.exists("three.txt")
    return open("one.txt", "rb").read() == open("two.txt", "rb").read(), missing


def corpus_transfer_configs(ctx):
    bucket = ctx.bucket()
    snippet_transfer_configs(_file(data=os.urandom(9 * 1024 * 1024)), bucket, "big.bin")
    return os.path.getsize("local.txt"), _get(bucket, "big.bin")[0] == open("local.txt", "rb").read()


def corpus_create_and_list_buckets(ctx):
    made = create_bucket(ctx.name()), create_bucket(ctx.name(), region="us-west-2")
    again = create_bucket(ctx.names[0])  # BucketAlreadyOwnedByYou / exists: False
    snippet_list_buckets()
    names = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    return made, again, sorted(ctx.names.index(n) for n in names if n in ctx.names)


def corpus_bucket_policy(ctx):
    bucket = ctx.bucket()
    snippet_bucket_policy(bucket)
    try:
        boto3.client("s3").get_bucket_policy(Bucket=bucket)
    except ClientError as e:
        return e.response["Error"]["Code"]


def corpus_bucket_acl(ctx):
    snippet_bucket_acl(ctx.bucket())


def corpus_bucket_cors(ctx):
    bucket = ctx.bucket()
    before = get_bucket_cors(bucket)
    snippet_put_bucket_cors(bucket)
    return before, get_bucket_cors(bucket), get_bucket_cors(ctx.name())


def corpus_website(ctx):
    return snippet_website(ctx.bucket())


def corpus_presigned_url(ctx):
    import requests

    bucket = ctx.bucket()
    boto3.client("s3").put_object(Bucket=bucket, Key="OBJECT_NAME", Body=b"shared")
    url = create_presigned_url(bucket, "OBJECT_NAME", "us-east-1")
    response = requests.get(url)
    return url.split("?")[0], response.status_code


def corpus_presigned_url_expanded(ctx):
    bucket = ctx.bucket()
    urls = [
        create_presigned_url_expanded("list_objects_v2", "us-east-1", {"Bucket": bucket}),
        create_presigned_url_expanded("put_object", "us-east-1", {"Bucket": bucket, "Key": "k"}, 60, "PUT"),
        create_presigned_url_expanded("get_bucket_location", "us-east-1", {"Bucket": bucket}),
    ]
    return [u.split("X-Amz-Date")[0] for u in urls]


def corpus_presigned_post(ctx):
    bucket = ctx.bucket()
    _file("OBJECT_NAME", b"posted by a form\n")
    status = snippet_presigned_post_upload(bucket, "OBJECT_NAME")
    return status, _get(bucket, "OBJECT_NAME")[0]
