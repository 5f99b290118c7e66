"""Corpus items where s3seal's outcome still differs from boto3's, each with its cause.
An item listed here that starts passing fails the test, so this list stays true."""

KNOWN: dict[str, str] = {}
