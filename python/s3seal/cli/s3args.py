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


_INCLUDE_HELP = "keep what matches this pattern (filters apply in order; the last match wins)"
_EXCLUDE_HELP = "skip what matches this pattern (filters apply in order; the last match wins)"
_PAYER_HELP = "confirm that the requester pays for a Requester Pays bucket"


def add_transfer_args(p: argparse.ArgumentParser, command: str) -> None:
    """The TRANSFER_ARGS of the AWS CLI (``subcommands.py``), plus each command's own."""
    if command == "sync":
        p.set_defaults(dir_op=True)
        p.add_argument(
            "--delete", action="store_true", help="delete destination files absent from the source"
        )
        p.add_argument("--size-only", action="store_true", help="compare sizes only, not modification times")
        p.add_argument(
            "--exact-timestamps",
            action="store_true",
            help="downloading: replace local files whose time differs from the object's, not only older ones",
        )
    else:
        p.add_argument(
            "--recursive", action="store_true", dest="dir_op", help="every file under the directory or prefix"
        )
        p.add_argument("--expected-size", type=int, help="the size of a stream uploaded from stdin, in bytes")
    p.add_argument("--dryrun", action="store_true", help="print what would be done, do nothing")
    p.add_argument("--quiet", action="store_true", help="print nothing, errors included")
    p.add_argument("--include", action=FilterAction, dest="filters", metavar="PATTERN", help=_INCLUDE_HELP)
    p.add_argument("--exclude", action=FilterAction, dest="filters", metavar="PATTERN", help=_EXCLUDE_HELP)
    p.add_argument("--acl", help="a canned ACL for the new objects (private, public-read, ...)")
    p.add_argument(
        "--follow-symlinks", action="store_true", default=True, help="follow symbolic links (default)"
    )
    p.add_argument(
        "--no-follow-symlinks", action="store_false", dest="follow_symlinks", help="skip symbolic links"
    )
    p.add_argument(
        "--no-guess-mime-type",
        action="store_false",
        dest="guess_mime_type",
        help="do not set Content-Type from the file name",
    )
    p.add_argument(
        "--sse",
        nargs="?",
        const="AES256",
        choices=["AES256", "aws:kms"],
        help="server-side encryption with S3's keys (AES256, the default) or KMS (aws:kms)",
    )
    p.add_argument(
        "--sse-c",
        nargs="?",
        const="AES256",
        choices=["AES256"],
        help="server-side encryption with your key (SSE-C); needs --sse-c-key",
    )
    p.add_argument(
        "--sse-c-key",
        metavar="KEY|fileb://PATH",
        help="the SSE-C key: 32 bytes, best as fileb://path (a value on the command line shows in ps); "
        "needs --sse-c. Sent on every request that reads or writes the object's data",
    )
    p.add_argument("--sse-kms-key-id", help="the KMS key (id, ARN or alias) of --sse aws:kms")
    p.add_argument(
        "--sse-c-copy-source",
        nargs="?",
        const="AES256",
        choices=["AES256"],
        help="S3 to S3 copies: the source object is SSE-C encrypted; needs --sse-c-copy-source-key",
    )
    p.add_argument(
        "--sse-c-copy-source-key",
        help="the source object's SSE-C key (fileb://path), for the copy and its HEAD",
    )
    p.add_argument("--storage-class", help="STANDARD, REDUCED_REDUNDANCY, STANDARD_IA, GLACIER, ...")
    p.add_argument(
        "--grants", nargs="+", help="permission=grantee ... (permission: read, readacl, writeacl, full)"
    )
    p.add_argument(
        "--website-redirect", help="redirect requests for the object to this URL (website buckets)"
    )
    p.add_argument("--content-type", help="the Content-Type of the new objects (else guessed from the name)")
    p.add_argument("--cache-control", help="the Cache-Control of the new objects")
    p.add_argument("--content-disposition", help="the Content-Disposition of the new objects")
    p.add_argument("--content-encoding", help="the Content-Encoding of the new objects")
    p.add_argument("--content-language", help="the Content-Language of the new objects")
    p.add_argument("--expires", help="the Expires date of the new objects")
    p.add_argument("--source-region", help="the region of the source bucket of an S3 to S3 copy")
    p.add_argument("--only-show-errors", action="store_true", help="print errors and warnings only")
    p.add_argument(
        "--no-progress",
        action="store_false",
        dest="progress",
        help="no progress line (shown on a terminal only)",
    )
    p.add_argument("--page-size", type=int, help="objects per listing request (at most 1000)")
    p.add_argument(
        "--ignore-glacier-warnings", action="store_true", help="no warning for skipped Glacier objects"
    )
    p.add_argument("--force-glacier-transfer", action="store_true", help="transfer Glacier objects anyway")
    p.add_argument("--request-payer", nargs="?", const="requester", choices=["requester"], help=_PAYER_HELP)
    p.add_argument("--metadata", help="user metadata of the new objects: key=value,... or JSON")
    p.add_argument(
        "--metadata-directive",
        choices=["COPY", "REPLACE"],
        help="S3 to S3 copies: keep (COPY) or replace (REPLACE) the source's metadata",
    )
    p.add_argument(
        "--copy-props",
        choices=["none", "metadata-directive", "default"],
        help="S3 to S3 copies: which properties of the source are copied",
    )
    p.add_argument("--checksum-mode", choices=["ENABLED"], help="downloads: validate the object's checksum")
    p.add_argument(
        "--checksum-algorithm",
        choices=["CRC64NVME", "CRC32", "SHA256", "SHA1", "CRC32C"],
        help="uploads: the checksum S3 computes and stores",
    )


def add_ls_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default="s3://", help="s3://bucket/prefix (none: list the buckets)")
    p.add_argument("--recursive", action="store_true", dest="dir_op", help="every object under the prefix")
    p.add_argument("--page-size", type=int, help="objects per listing request (at most 1000)")
    p.add_argument("--human-readable", action="store_true", help="sizes in KiB, MiB, GiB")
    p.add_argument("--summarize", action="store_true", help="a total of objects and bytes at the end")
    p.add_argument("--request-payer", nargs="?", const="requester", choices=["requester"], help=_PAYER_HELP)
    p.add_argument("--bucket-name-prefix", help="list only the buckets whose name starts with this")
    p.add_argument("--bucket-region", help="list only the buckets of this region")


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
