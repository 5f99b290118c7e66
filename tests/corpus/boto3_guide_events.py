# --- corpus origin (added by s3seal; everything down to the driver section is upstream) ---
# Repository: https://github.com/boto/boto3
# Path:       docs/source/guide/events.rst and clients.rst: the S3 code blocks, each marked
#             below with its page and lines
# Commit:     722e01b074c67db38ad226ac1a2dab5c36c1577c
# License:    Apache-2.0 (Copyright Amazon.com, Inc. or its affiliates)
# Adapted:    each module-level snippet is wrapped in a function (snippet_*) taking the bucket
#             names the page writes as placeholders; the library calls are unchanged.
# ---
import boto3


# events.rst, lines 30-48
def snippet_provide_client_params(BUCKET):
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    # Create a function
    def add_my_bucket(params, **kwargs):
        # Add the name of the bucket you want to default to.
        if 'Bucket' not in params:
            params['Bucket'] = BUCKET

    # Register the function to an event
    event_system.register('provide-client-params.s3.ListObjectsV2', add_my_bucket)

    response = s3.list_objects_v2()
    return response


# events.rst, lines 98-119
def snippet_hierarchy(BUCKET1, BUCKET2):
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    def add_my_general_bucket(params, **kwargs):
        if 'Bucket' not in params:
            params['Bucket'] = BUCKET1

    def add_my_specific_bucket(params, **kwargs):
        if 'Bucket' not in params:
            params['Bucket'] = BUCKET2

    event_system.register('provide-client-params.s3', add_my_general_bucket)
    event_system.register('provide-client-params.s3.ListObjectsV2', add_my_specific_bucket)

    list_obj_response = s3.list_objects_v2()
    put_obj_response = s3.put_object(Key='mykey', Body=b'my body')
    return list_obj_response, put_obj_response


# events.rst, lines 143-158
def snippet_wildcard(BUCKET):
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    def add_my_wildcard_bucket(params, **kwargs):
        if 'Bucket' not in params:
            params['Bucket'] = BUCKET

    event_system.register('provide-client-params.s3.*', add_my_wildcard_bucket)
    response = s3.list_objects_v2()
    return response


# events.rst, lines 182-204
def snippet_per_client(BUCKET1, BUCKET2):
    client1 = boto3.client('s3')
    client2 = boto3.client('s3')

    def add_my_bucket(params, **kwargs):
        if 'Bucket' not in params:
            params['Bucket'] = BUCKET1

    def add_my_other_bucket(params, **kwargs):
        if 'Bucket' not in params:
            params['Bucket'] = BUCKET2

    client1.meta.events.register(
        'provide-client-params.s3.ListObjectsV2', add_my_bucket)
    client2.meta.events.register(
        'provide-client-params.s3.ListObjectsV2', add_my_other_bucket)

    client1_response = client1.list_objects_v2()
    client2_response = client2.list_objects_v2()
    return client1_response, client2_response


# events.rst, lines 294-307
def snippet_creating_client_class():
    from boto3.session import Session

    def custom_method(self):
        print('This is my custom method')

    def add_custom_method(class_attributes, **kwargs):
        class_attributes['my_method'] = custom_method

    session = Session()
    session.events.register('creating-client-class.s3', add_custom_method)

    client = session.client('s3')
    client.my_method()


# events.rst, lines 489-505
def snippet_before_call_header():
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    # Create a function that adds a custom header and prints all headers.
    def add_custom_header_before_call(model, params, request_signer, **kwargs):
        params['headers']['my-custom-header'] = 'header-info'
        headers = params['headers']
        print(f'param headers: {headers}')

    #  Register the function to an event.
    event_system.register('before-call.s3.ListBuckets', add_custom_header_before_call)

    s3.list_buckets()


# events.rst, lines 535-557
def snippet_request_created(BUCKET):
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    # Create a function that prints the request information.
    def inspect_request_created(request, operation_name, **kwargs):
        print('Request Info:')
        print(f'method: {request.method}')
        print(f'url: {request.url}')
        print(f'data: {request.data}')
        print(f'params: {request.params}')
        print(f'auth_path: {request.auth_path}')
        print(f'stream_output: {request.stream_output}')
        print(f'headers: {request.headers}')
        print(f'operation_name: {operation_name}')

    # Register the function to an event
    event_system.register('request-created.s3.ListObjectsV2', inspect_request_created)

    response = s3.list_objects_v2(Bucket=BUCKET)
    return response


# events.rst, lines 596-610
def snippet_before_send():
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    # Create a function that inspects the prepared request.
    def inspect_request_before_send(request, **kwargs):
        print(f'request: {request}')

    # Register the function to an event
    event_system.register('before-send.s3.ListBuckets', inspect_request_before_send)

    s3.list_buckets()


# events.rst, lines 710-727
def snippet_after_call(BUCKET):
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    # Create a function that prints the after-call event args.
    def print_after_call_args(http_response, parsed, model, **kwargs):
        print(f'http_response: {http_response}')
        print(f'parsed: {parsed}')
        print(f'model: {model.name}')

    # Register the function to an event
    event_system.register('after-call.s3.ListObjectsV2', print_after_call_args)

    s3.list_objects_v2(Bucket=BUCKET)


# events.rst, lines 757-777
def snippet_after_call_error():
    s3 = boto3.client('s3')

    # Access the event system on the S3 client
    event_system = s3.meta.events

    # Prints the detected exception.
    def print_after_call_error_args(exception, **kwargs):
        if exception is not None:
            print(f'Exception Detected: {exception}')

    # Mocks an exception raised when making an API call.
    def list_objects_v2_bad_response(**kwargs):
        raise Exception("This is a test exception.")

    event_system.register('before-send.s3.ListBuckets', list_objects_v2_bad_response)
    event_system.register('after-call-error.s3.ListBuckets', print_after_call_error_args)

    s3.list_buckets()


# clients.rst, lines 83-112 (the S3 half)
def snippet_waiters(BUCKET):
    s3 = boto3.client('s3')

    # List all of the possible waiters for both clients
    print("s3 waiters:")
    s3.waiter_names

    # Retrieve waiter instance that will wait till a specified
    # S3 bucket exists
    s3_bucket_exists_waiter = s3.get_waiter('bucket_exists')

    # Begin waiting for the S3 bucket, amzn-s3-demo-bucket, to exist
    s3_bucket_exists_waiter.wait(Bucket=BUCKET)
    return s3.waiter_names


# --- corpus driver (s3seal's, not upstream) ---
# What the handlers print includes each SDK's own headers (User-Agent, ...) and object reprs:
# the drivers compare what the handlers saw instead.
CORPUS_COMPARE_STDOUT = False


def _printed(fn, *args):
    """Run a snippet, returning its result and the labels of the lines it printed."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn(*args)
    return result, [line.split(":")[0] for line in out.getvalue().splitlines()]


def _keys(response):
    return response["Name"], [o["Key"] for o in response.get("Contents", [])]


def corpus_provide_client_params(ctx):
    bucket = ctx.bucket()
    boto3.client("s3").put_object(Bucket=bucket, Key="k", Body=b"x")
    return _keys(snippet_provide_client_params(bucket))


def corpus_hierarchy(ctx):
    one, two = ctx.bucket(), ctx.bucket()
    listed, put = snippet_hierarchy(one, two)
    return _keys(listed), _keys(boto3.client("s3").list_objects_v2(Bucket=one)), "ETag" in put


def corpus_wildcard(ctx):
    return _keys(snippet_wildcard(ctx.bucket()))


def corpus_per_client(ctx):
    one, two = ctx.bucket(), ctx.bucket()
    return [_keys(r) for r in snippet_per_client(one, two)]


def corpus_creating_client_class(ctx):
    return _printed(snippet_creating_client_class)


def corpus_before_call_header(ctx):
    result, printed = _printed(snippet_before_call_header)
    return printed


def corpus_request_created(ctx):
    result, printed = _printed(snippet_request_created, ctx.bucket())
    return _keys(result), printed


def corpus_before_send(ctx):
    return _printed(snippet_before_send)[1]


def corpus_after_call(ctx):
    return _printed(snippet_after_call, ctx.bucket())[1]


def corpus_after_call_error(ctx):
    import contextlib
    import io

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            snippet_after_call_error()
    except Exception as e:
        return type(e).__name__, str(e), out.getvalue()


def corpus_waiters(ctx):
    return _printed(snippet_waiters, ctx.bucket())
