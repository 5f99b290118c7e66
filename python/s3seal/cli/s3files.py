"""The files an ``s3`` command works on: S3 URIs and local paths, their listings,
``--include``/``--exclude`` filters and the ``sync`` comparison, with the AWS CLI's rules
(``awscli/customizations/s3/filegenerator.py``, ``filters.py``, ``syncstrategy``)."""

from __future__ import annotations

import datetime
import fnmatch
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


def is_s3(path: str) -> bool:
    return path.startswith("s3://")


def split_s3(path: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> ``("bucket", "some/key")``."""
    bucket, _, key = path[len("s3://") :].partition("/")
    return bucket, key


def relative_path(filename: str) -> str:
    """How the AWS CLI prints a local path: relative to the working directory (``./f``)."""
    try:
        dirname, basename = os.path.split(filename)
        return os.path.join(os.path.relpath(dirname or ".", os.curdir), basename)
    except ValueError:
        return os.path.abspath(filename)


@dataclass
class FileInfo:
    """One file or object: ``path`` is a local absolute path or ``bucket/key``; ``rel`` is its
    name relative to the command's root, with ``/`` separators, the key of the pairing."""

    path: str
    rel: str
    size: int
    mtime: datetime.datetime
    is_s3: bool

    @property
    def bucket_key(self) -> tuple[str, str]:
        bucket, _, key = self.path.partition("/")
        return bucket, key

    def display(self) -> str:
        return f"s3://{self.path}" if self.is_s3 else relative_path(self.path)


def local_info(path: str, rel: str) -> FileInfo:
    st = os.stat(path)
    mtime = datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc)
    return FileInfo(os.path.abspath(path), rel, st.st_size, mtime, False)


def walk_local(root: str) -> Iterator[FileInfo | str]:
    """Regular files under ``root`` in the AWS CLI's order (sorted names); a warning string
    for what cannot be transferred (special files, unreadable files)."""
    root = os.path.abspath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            try:
                mode = os.stat(full).st_mode
            except OSError:
                yield f"warning: Skipping file {full}. File does not exist."
                continue
            if not stat.S_ISREG(mode):
                yield f"warning: Skipping file {full}. File is character special device, block special device, FIFO, or socket."
            elif not os.access(full, os.R_OK):
                yield f"warning: Skipping file {full}. File/Directory is not readable."
            else:
                yield local_info(full, rel)


def list_s3(client: Any, bucket: str, prefix: str, extra: dict[str, Any] | None = None) -> Iterator[FileInfo]:
    """Every object under a prefix (``rel`` relative to the prefix), through the paginator."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **(extra or {}))
    for page in pages:
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/") and obj["Size"] == 0 and key == prefix:
                continue  # the "directory" placeholder of the prefix itself
            yield FileInfo(f"{bucket}/{key}", key[len(prefix) :], obj["Size"], obj["LastModified"], True)


class Filters:
    """``--exclude``/``--include`` in order; the last pattern that matches decides. Patterns
    are joined to the source's root and the destination's root, as the AWS CLI does."""

    def __init__(self, patterns: list[tuple[str, str]], src_root: str | None, dst_root: str | None) -> None:
        self.rules = [
            (kind, os.path.join(root, pattern))
            for kind, pattern in patterns
            for root in (src_root, dst_root)
            if root is not None
        ]

    def included(self, info: FileInfo) -> bool:
        keep = True
        for kind, pattern in self.rules:
            pattern = pattern.replace(os.sep, "/") if info.is_s3 else pattern.replace("/", os.sep)
            if fnmatch.fnmatch(info.path, pattern):
                keep = kind == "include"
        return keep


def filter_root(location: str, dir_op: bool) -> str:
    """The directory patterns are relative to: the source itself for a recursive command,
    its parent for one file."""
    if is_s3(location):
        bucket, key = split_s3(location)
        if not dir_op and not key.endswith("/"):
            key = "/".join(key.split("/")[:-1])
        return f"{bucket}/{key}"
    location = os.path.abspath(location)
    return location if dir_op else os.path.dirname(location)


def needs_sync(src: FileInfo, dest: FileInfo | None, size_only: bool, exact_timestamps: bool) -> bool:
    """The AWS CLI's default sync strategy: copy when missing, when the sizes differ, or
    when the times say the source is newer (for downloads: the local file is newer than
    the object; ``--exact-timestamps`` requires equal times)."""
    if dest is None:
        return True
    if src.size != dest.size:
        return True
    if size_only:
        return False
    delta = (dest.mtime - src.mtime).total_seconds()
    downloading = src.is_s3 and not dest.is_s3
    if downloading:
        same = delta == 0 if exact_timestamps else delta <= 0
    else:
        same = delta >= 0
    return not same
