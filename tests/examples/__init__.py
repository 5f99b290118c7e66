"""Resource-based S3 programs in the style of AWS's Python code examples (aws-doc-sdk-examples:
``s3_basics`` object and bucket wrappers, ``s3_versioning``, ``file_transfer``), written against
``boto3``; ``tests/test_resource_examples.py`` runs each one as-is with boto3 and with only its
``import boto3`` line changed to ``import s3seal as boto3``."""
