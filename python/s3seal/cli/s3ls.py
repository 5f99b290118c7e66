"""``s3seal s3 ls``: buckets, or the objects and common prefixes under a prefix, printed as
the AWS CLI prints them (local times, sizes right-aligned in 10 columns, ``PRE dir/``)."""

from __future__ import annotations

import datetime
import sys
from typing import Any

from s3seal.cli.common import RC_OK, RC_TRANSFER_FAILED
from s3seal.cli.s3files import split_s3
from s3seal.cli.s3run import human_readable_size


def _time(value: datetime.datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S").ljust(19)


class _Listing:
    def __init__(self, args: Any) -> None:
        self.args = args
        self.objects = 0
        self.size = 0
        self.empty_first_page = False

    def size_str(self, size: int) -> str:
        return (human_readable_size(size) if self.args.human_readable else str(size)).rjust(10)

    def page(self, page: dict[str, Any], first: bool, basename: bool) -> None:
        prefixes, contents = page.get("CommonPrefixes", []), page.get("Contents", [])
        if not prefixes and not contents:
            self.empty_first_page = self.empty_first_page or first
            return
        out = sys.stdout
        for p in prefixes:
            out.write("PRE".rjust(30) + " " + p["Prefix"].split("/")[-2] + "/\n")
        for obj in contents:
            self.objects += 1
            self.size += int(obj["Size"])
            name = obj["Key"].split("/")[-1] if basename else obj["Key"]
            out.write(f"{_time(obj['LastModified'])} {self.size_str(obj['Size'])} {name}\n")

    def summary(self) -> None:
        size = human_readable_size(self.size) if self.args.human_readable else str(self.size)
        sys.stdout.write(f"\nTotal Objects: {self.objects}\n   Total Size: {size}\n")


def ls(client: Any, args: Any) -> int:
    """Exit 1 when a prefix was given and nothing matched, as the AWS CLI."""
    bucket, key = split_s3(args.path) if args.path.startswith("s3://") else (args.path, "")
    listing = _Listing(args)
    if not bucket:
        _buckets(client, args)
    else:
        paging: dict[str, Any] = {"Bucket": bucket, "Prefix": key}
        if not args.dir_op:
            paging["Delimiter"] = "/"
        if args.request_payer:
            paging["RequestPayer"] = args.request_payer
        pages = client.get_paginator("list_objects_v2").paginate(
            **paging, PaginationConfig={"PageSize": args.page_size}
        )
        for i, page in enumerate(pages):
            listing.page(page, i == 0, basename=not args.dir_op)
    if args.summarize:
        listing.summary()
    if key and listing.empty_first_page:
        return RC_TRANSFER_FAILED
    return RC_OK


def _buckets(client: Any, args: Any) -> None:
    params: dict[str, Any] = {}
    if args.bucket_name_prefix:
        params["Prefix"] = args.bucket_name_prefix
    if args.bucket_region:
        params["BucketRegion"] = args.bucket_region
    for page in client.get_paginator("list_buckets").paginate(**params):
        for b in page.get("Buckets", []):
            sys.stdout.write(f"{_time(b['CreationDate'])} {b['Name']}\n")
