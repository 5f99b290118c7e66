# --- corpus origin (added by s3seal; everything down to the driver section is upstream) ---
# Repository: https://github.com/boto/boto3
# Path:       docs/source/guide/paginators.rst, collections.rst, resources.rst,
#             error-handling.rst: the S3 code blocks, each marked below with its page and lines
# Commit:     722e01b074c67db38ad226ac1a2dab5c36c1577c
# License:    Apache-2.0 (Copyright Amazon.com, Inc. or its affiliates)
# Adapted:    each module-level snippet is wrapped in a function (snippet_*) taking the bucket
#             names the page writes as placeholders; snippets that continue an earlier one get
#             its variables (s3, bucket, obj) as arguments. The library calls are unchanged.
# ---
import boto3


# paginators.rst, lines 28-43
def snippet_paginate(BUCKET):
    # Create a client
    client = boto3.client('s3', region_name='us-west-2')

    # Create a reusable Paginator
    paginator = client.get_paginator('list_objects_v2')

    # Create a PageIterator from the Paginator
    page_iterator = paginator.paginate(Bucket=BUCKET)

    for page in page_iterator:
        print(page['Contents'])
    return client


# paginators.rst, lines 51-55
def snippet_max_items(client, BUCKET):
    paginator = client.get_paginator('list_objects_v2')
    page_iterator = paginator.paginate(Bucket=BUCKET,
                                       PaginationConfig={'MaxItems': 10})
    return page_iterator


# paginators.rst, lines 83-94
def snippet_operation_parameters(BUCKET):
    client = boto3.client('s3', region_name='us-west-2')
    paginator = client.get_paginator('list_objects_v2')
    operation_parameters = {'Bucket': BUCKET,
                            'Prefix': 'foo/baz'}
    page_iterator = paginator.paginate(**operation_parameters)
    for page in page_iterator:
        print(page['Contents'])


# paginators.rst, lines 104-113
def snippet_search(BUCKET):
    client = boto3.client('s3', region_name='us-west-2')
    paginator = client.get_paginator('list_objects_v2')
    page_iterator = paginator.paginate(Bucket=BUCKET)
    filtered_iterator = page_iterator.search("Contents[?Size > `100`][]")
    for key_data in filtered_iterator:
        print(key_data)


# collections.rst, lines 30-41, 48-54, 100-104, 114-119
def snippet_collections(s3, bucket):
    for bucket in s3.buckets.all():
        print(bucket.name)

    buckets = list(s3.buckets.all())

    # S3 list all keys with the prefix 'photos/'
    s3 = boto3.resource('s3')
    for bucket in s3.buckets.all():
        for obj in bucket.objects.filter(Prefix='photos/'):
            print('{0}:{1}'.format(bucket.name, obj.key))

    # S3 iterate over first ten buckets
    for bucket in s3.buckets.limit(10):
        print(bucket.name)
    return buckets


def snippet_page_size(bucket):
    # S3 iterate over all objects 100 at a time
    for obj in bucket.objects.page_size(100):
        print(obj.key)


# collections.rst, lines 129-133
def snippet_delete_everything(BUCKET):
    # S3 delete everything in `amzn-s3-demo-bucket`
    s3 = boto3.resource('s3')
    s3.Bucket(BUCKET).objects.delete()


# resources.rst, lines 23-27 (the S3 line), 48-60 (the S3 half)
def snippet_identifiers(BUCKET):
    s3 = boto3.resource('s3')

    # S3 Object (bucket_name and key are identifiers)
    obj = s3.Object(bucket_name=BUCKET, key='test.py')
    print(obj.bucket_name)
    print(obj.key)

    # Raises exception, missing identifier: key!
    obj = s3.Object(bucket_name=BUCKET)


# resources.rst, lines 62-71 (the S3 half)
def snippet_positional_identifiers(s3):
    # S3 Object
    obj = s3.Object('boto3', 'test.py')

    # Raises exception, missing key!
    obj = s3.Object('boto3')


# resources.rst, lines 75-84 (an interpreter session)
def snippet_equality(s3, BUCKET1, BUCKET3):
    bucket1 = s3.Bucket(BUCKET1)
    bucket2 = s3.Bucket(BUCKET1)
    bucket3 = s3.Bucket(BUCKET3)

    return bucket1 == bucket2, bucket1 == bucket3


# resources.rst, lines 95-102 (the S3 half), 125-137 (the S3 half), 178-189 (the S3 half),
# 203-210 (the S3 half)
def snippet_attributes_actions(s3, bucket, BUCKET):
    # S3 Object
    obj = s3.Object(bucket_name=BUCKET, key='test.py')
    response = obj.get()
    data = response['Body'].read()

    obj.last_modified
    obj.e_tag

    # S3
    obj = bucket.Object(key='new_file.txt')
    print(obj.bucket_name)
    print(obj.key)

    # S3: Wait for a bucket to exist.
    bucket.wait_until_exists()
    return data


# error-handling.rst, lines 230-242
def snippet_modeled_exception(BUCKET):
    import botocore
    import boto3

    client = boto3.resource('s3')

    try:
        client.create_bucket(BucketName=BUCKET)

    except client.meta.client.exceptions.BucketAlreadyExists as err:
        print("Bucket {} already exists!".format(err.response['Error']['BucketName']))
        raise err


# --- corpus driver (s3seal's, not upstream) ---
def _fill(bucket, keys):
    import boto3 as real  # setup, by real boto3 in both runs

    client = real.client("s3")
    for key, size in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"x" * size)


def corpus_paginators(ctx):
    bucket = ctx.bucket()
    _fill(bucket, [(f"foo/baz/{i:02d}", 50 + 10 * i) for i in range(15)] + [("photos/cat.jpg", 300)])
    client = snippet_paginate(bucket)
    pages = list(snippet_max_items(client, bucket))
    snippet_operation_parameters(bucket)
    snippet_search(bucket)
    full = snippet_max_items(client, bucket).build_full_result()
    return [len(p["Contents"]) for p in pages], sorted(full), full.get("NextToken") is not None


def corpus_collections(ctx):
    s3 = boto3.resource("s3")
    bucket = s3.Bucket(ctx.bucket())
    _fill(bucket.name, [("photos/a.jpg", 10), ("photos/b.jpg", 20), ("docs/c.txt", 30)])
    buckets = snippet_collections(s3, bucket)
    snippet_page_size(bucket)
    snippet_delete_everything(bucket.name)
    left = [o.key for o in bucket.objects.all()]
    boto3.client("s3").delete_bucket(Bucket=bucket.name)  # the other run lists all buckets too
    return bucket.name in [b.name for b in buckets], left


def corpus_identifiers(ctx):
    seen = []
    for snippet, args in ((snippet_identifiers, (ctx.name(),)), (snippet_positional_identifiers, (boto3.resource("s3"),))):
        try:
            snippet(*args)
        except Exception as e:
            seen.append((type(e).__name__, str(e)))
    return seen


def corpus_equality(ctx):
    return snippet_equality(boto3.resource("s3"), ctx.name(), ctx.name())


def corpus_attributes_actions(ctx):
    s3 = boto3.resource("s3")
    name = ctx.bucket()
    _fill(name, [("test.py", 12)])
    return snippet_attributes_actions(s3, s3.Bucket(name), name)


def corpus_modeled_exception(ctx):
    bucket = ctx.bucket()
    try:
        snippet_modeled_exception(bucket)
        return "created again"
    except Exception as e:
        return type(e).__name__, getattr(e, "response", {}).get("Error", {}).get("Code")
