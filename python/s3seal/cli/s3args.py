"""The arguments of ``s3 cp|mv|sync|ls`` and how they become request parameters, per
request kind, as ``awscli/customizations/s3/utils.py::RequestParamsMapper`` maps them.

SSE flags (parity doc §5.1): ``--sse``/``--sse-kms-key-id`` go on PutObject, CopyObject and
CreateMultipartUpload only; ``--sse-c``/``--sse-c-key`` on every request that touches the
object's data (put, parts, HEAD, GET, copy); ``--sse-c-copy-source(-key)`` as
``CopySourceSSECustomer*`` on copies and as plain ``SSECustomer*`` on the source's HEAD.
Keys are passed raw, without MD5: the client base64-encodes them and adds the MD5, as
botocore does for the AWS CLI.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from s3seal.cli.common import LOG, REDACTOR, UsageError, load_value, redact_params
from s3seal.cli.shorthand import parse_structure

_GRANTS = {
    "read": "GrantRead",
    "full": "GrantFullControl",
    "readacl": "GrantReadACP",
    "writeacl": "GrantWriteACP",
}

# Argument dest -> request parameter, for the "general" parameters of put and copy.
_GENERAL = {
    "acl": "ACL",
    "cache_control": "CacheControl",
    "content_disposition": "ContentDisposition",
    "content_encoding": "ContentEncoding",
    "content_language": "ContentLanguage",
    "content_type": "ContentType",
    "expires": "Expires",
    "storage_class": "StorageClass",
    "website_redirect": "WebsiteRedirectLocation",
}


class FilterAction(argparse.Action):
    """--include / --exclude keep their relative order in one list."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        filters = list(getattr(namespace, self.dest, None) or [])
        filters.append((str(option_string).lstrip("-"), values))
        setattr(namespace, self.dest, filters)


def add_transfer_args(p: argparse.ArgumentParser, command: str) -> None:
    """The TRANSFER_ARGS of the AWS CLI (``subcommands.py``), plus each command's own."""
    if command == "sync":
        p.set_defaults(dir_op=True)
        p.add_argument("--delete", action="store_true")
        p.add_argument("--size-only", action="store_true")
        p.add_argument("--exact-timestamps", action="store_true")
    else:
        p.add_argument("--recursive", action="store_true", dest="dir_op")
        p.add_argument("--expected-size", type=int)
    p.add_argument("--dryrun", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--include", action=FilterAction, dest="filters")
    p.add_argument("--exclude", action=FilterAction, dest="filters")
    p.add_argument("--acl")
    p.add_argument("--follow-symlinks", action="store_true", default=True)
    p.add_argument("--no-follow-symlinks", action="store_false", dest="follow_symlinks")
    p.add_argument("--no-guess-mime-type", action="store_false", dest="guess_mime_type")
    p.add_argument("--sse", nargs="?", const="AES256", choices=["AES256", "aws:kms"])
    p.add_argument("--sse-c", nargs="?", const="AES256", choices=["AES256"])
    p.add_argument("--sse-c-key")
    p.add_argument("--sse-kms-key-id")
    p.add_argument("--sse-c-copy-source", nargs="?", const="AES256", choices=["AES256"])
    p.add_argument("--sse-c-copy-source-key")
    p.add_argument("--storage-class")
    p.add_argument("--grants", nargs="+")
    p.add_argument("--website-redirect")
    p.add_argument("--content-type")
    p.add_argument("--cache-control")
    p.add_argument("--content-disposition")
    p.add_argument("--content-encoding")
    p.add_argument("--content-language")
    p.add_argument("--expires")
    p.add_argument("--source-region")
    p.add_argument("--only-show-errors", action="store_true")
    p.add_argument("--no-progress", action="store_false", dest="progress")
    p.add_argument("--page-size", type=int)
    p.add_argument("--ignore-glacier-warnings", action="store_true")
    p.add_argument("--force-glacier-transfer", action="store_true")
    p.add_argument("--request-payer", nargs="?", const="requester", choices=["requester"])
    p.add_argument("--metadata")
    p.add_argument("--metadata-directive", choices=["COPY", "REPLACE"])
    p.add_argument("--copy-props", choices=["none", "metadata-directive", "default"])
    p.add_argument("--checksum-mode", choices=["ENABLED"])
    p.add_argument("--checksum-algorithm", choices=["CRC64NVME", "CRC32", "SHA256", "SHA1", "CRC32C"])


def add_ls_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default="s3://")
    p.add_argument("--recursive", action="store_true", dest="dir_op")
    p.add_argument("--page-size", type=int)
    p.add_argument("--human-readable", action="store_true")
    p.add_argument("--summarize", action="store_true")
    p.add_argument("--request-payer", nargs="?", const="requester", choices=["requester"])
    p.add_argument("--bucket-name-prefix")
    p.add_argument("--bucket-region")


def sse_c_key(value: str) -> str | bytes:
    """A ``--sse-c-key`` / ``--sse-c-copy-source-key`` value: the raw key, or the bytes of a
    ``fileb://`` file; registered with the redactor before anything can print it."""
    key = load_value(value)
    REDACTOR.add(key)
    return key


def _metadata(value: str) -> dict[str, str]:
    loaded = str(load_value(value))
    if loaded.lstrip().startswith("{"):
        parsed = json.loads(loaded)
    else:
        parsed = parse_structure(loaded)
    return {str(k): str(v) for k, v in parsed.items()}


def _grants(values: list[str]) -> dict[str, str]:
    found = {}
    for grant in values:
        permission, sep, grantee = grant.partition("=")
        if not sep or permission not in _GRANTS:
            raise UsageError(
                "grants should be of the form permission=principal. Permission must be one of "
                "read, readacl, writeacl, full."
            )
        found[_GRANTS[permission]] = grantee
    return found


def _general(args: Any) -> dict[str, Any]:
    params = {param: getattr(args, dest) for dest, param in _GENERAL.items() if getattr(args, dest, None)}
    if getattr(args, "grants", None):
        params.update(_grants(args.grants))
    if getattr(args, "metadata", None):
        params["Metadata"] = _metadata(args.metadata)
    return params


def _sse(args: Any) -> dict[str, Any]:
    params = {}
    if args.sse:
        params["ServerSideEncryption"] = args.sse
    if args.sse_kms_key_id:
        REDACTOR.add(args.sse_kms_key_id)
        params["SSEKMSKeyId"] = args.sse_kms_key_id
    return params


def _sse_c(args: Any) -> dict[str, Any]:
    if not getattr(args, "sse_c", None):
        return {}
    return {"SSECustomerAlgorithm": args.sse_c, "SSECustomerKey": sse_c_key(args.sse_c_key)}


def _sse_c_copy_source(args: Any, prefix: str) -> dict[str, Any]:
    if not getattr(args, "sse_c_copy_source", None):
        return {}
    return {
        f"{prefix}SSECustomerAlgorithm": args.sse_c_copy_source,
        f"{prefix}SSECustomerKey": sse_c_key(args.sse_c_copy_source_key),
    }


def request_args(args: Any, kind: str) -> dict[str, Any]:
    """The request parameters (ExtraArgs) of one kind of request: ``put`` (uploads, with
    their multipart calls), ``get`` (downloads), ``head`` (of a download's source),
    ``head_copy_source`` (of a copy's source) and ``copy``."""
    params: dict[str, Any] = {}
    payer = getattr(args, "request_payer", None)
    if payer:
        params["RequestPayer"] = payer
    if kind == "put":
        params.update(_general(args), **_sse(args), **_sse_c(args))
        if getattr(args, "checksum_algorithm", None):
            params["ChecksumAlgorithm"] = args.checksum_algorithm
    elif kind == "get":
        params.update(_sse_c(args))
        if getattr(args, "checksum_mode", None):
            params["ChecksumMode"] = args.checksum_mode
    elif kind == "head":
        params.update(_sse_c(args))
    elif kind == "head_copy_source":
        params.update(_sse_c_copy_source(args, ""))
    elif kind == "copy":
        params.update(_general(args), **_sse(args), **_sse_c(args), **_sse_c_copy_source(args, "CopySource"))
        if getattr(args, "metadata_directive", None):
            params["MetadataDirective"] = args.metadata_directive
    LOG.debug("%s parameters: %s", kind, redact_params(params))
    return params
