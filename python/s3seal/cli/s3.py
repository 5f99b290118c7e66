"""``s3seal s3 cp|mv|rm|ls|mb|rb|sync|presign``: the AWS CLI's high-level commands, their
arguments, messages and exit codes, with the bytes moved by the s3seal client's managed
transfers (``upload_file`` / ``download_file`` / ``copy``: the Rust engine).
"""

from __future__ import annotations

import argparse
import datetime
import mimetypes
import os
import sys
import textwrap
from typing import Any

from s3seal.cli.common import (
    RC_ERROR,
    RC_OK,
    RC_TRANSFER_FAILED,
    ArgParser,
    UsageError,
    make_client,
)
from s3seal.cli.s3args import FilterAction, add_ls_args, add_transfer_args, request_args
from s3seal.cli.s3files import (
    FileInfo,
    Filters,
    filter_root,
    is_s3,
    list_s3,
    local_info,
    needs_sync,
    relative_path,
    split_s3,
    walk_local,
)
from s3seal.cli.s3run import Printer, Task, run_tasks

COMMANDS = ("cp", "mv", "rm", "sync", "ls", "mb", "rb", "presign")

# One line per command for `s3seal s3 help`, and the description of `s3seal s3 <command> help`.
DESCRIPTIONS = {
    "cp": "Copy a local file or S3 object to another location locally or in S3 (--recursive: a "
    "whole directory or prefix). `-` as the source reads stdin, as the destination writes stdout.",
    "mv": "Move a local file or S3 object: copy it as cp does, then delete the source.",
    "rm": "Delete an S3 object (--recursive: every object under the prefix).",
    "sync": "Copy the files and objects missing or newer at the destination, between a directory "
    "and a prefix or two prefixes (--delete: also remove what the source lacks).",
    "ls": "List the buckets, or the objects and common prefixes under an S3 prefix.",
    "mb": "Make a bucket.",
    "rb": "Remove an empty bucket (--force: delete its objects first).",
    "presign": "Print a presigned URL that GETs the object (SigV4, --expires-in seconds).",
}
EPILOG = (
    "Exit codes (AWS CLI v2): 0 success, 1 a transfer failed, 2 files skipped, 130 Ctrl-C, "
    "252 bad arguments, 253 configuration, 254 service error, 255 other. "
    "Global options (--endpoint-url, --profile, --region, --debug, ...): see `s3seal help`."
)


def _print_s3_help() -> None:
    sys.stdout.write(
        "usage: s3seal s3 <command> [arguments]\n\nHigh-level S3 commands, with the AWS CLI's "
        "arguments; the bytes move through s3seal's transfer engine.\n\nCommands:\n"
    )
    for name in COMMANDS:
        text = textwrap.fill(DESCRIPTIONS[name], 88, initial_indent=" " * 11, subsequent_indent=" " * 11)
        sys.stdout.write(f"  {name:<8} {text[11:]}\n")
    sys.stdout.write("\nRun `s3seal s3 <command> help` for a command's arguments.\n")


def run(gargs: argparse.Namespace, argv: list[str]) -> int:
    if not argv:  # the AWS CLI's message (v2: a ParamValidationError, 252)
        raise UsageError(
            "usage: s3seal [options] <command> <subcommand> [parameters]\ns3seal: error: too few arguments"
        )
    if argv[0] == "help":
        _print_s3_help()
        return RC_OK
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        ArgParser(prog="s3seal").error(
            "argument subcommand: Invalid choice, valid choices are:\n\n" + " | ".join(COMMANDS)
        )
    if rest[:1] == ["help"]:
        _parser(command, help_=True).print_help(sys.stdout)
        return RC_OK
    parser = _parser(command)
    args, unknown = parser.parse_known_args(rest)
    if unknown:
        raise UsageError("Unknown options: " + ",".join(unknown), show_usage=True)
    handler = {
        "cp": _transfer,
        "mv": _transfer,
        "sync": _transfer,
        "rm": _rm,
        "ls": _ls,
        "mb": _mb,
        "rb": _rb,
        "presign": _presign,
    }[command]
    return handler(command, args, gargs)


def _parser(command: str, help_: bool = False) -> ArgParser:
    """The command's arguments. The AWS CLI names itself alone (``s3seal: error:``) in every
    usage error; the help names the command."""
    if help_:
        p = ArgParser(prog=f"s3seal s3 {command}", description=DESCRIPTIONS[command], epilog=EPILOG)
    else:
        p = ArgParser(prog="s3seal")
    uri = "<S3Uri>" if help_ else None  # errors name "path", as the AWS CLI
    if command in ("cp", "mv", "sync"):
        p.add_argument(
            "paths",
            nargs=2,
            metavar="<LocalPath|S3Uri>" if help_ else None,  # errors name "paths", as the AWS CLI
            help="the source and the destination: a local path, s3://bucket/key, or - (cp: stdin/stdout)",
        )
        add_transfer_args(p, command)
    elif command == "rm":
        p.add_argument("path", metavar=uri, help="s3://bucket/key, or a prefix with --recursive")
        p.add_argument(
            "--recursive", action="store_true", dest="dir_op", help="every object under the prefix"
        )
        p.add_argument("--dryrun", action="store_true", help="print what would be deleted, delete nothing")
        p.add_argument("--quiet", action="store_true", help="print nothing, errors included")
        p.add_argument("--only-show-errors", action="store_true", help="print errors only")
        p.add_argument(
            "--include",
            action=FilterAction,
            dest="filters",
            metavar="PATTERN",
            help="keep what matches this pattern",
        )
        p.add_argument(
            "--exclude",
            action=FilterAction,
            dest="filters",
            metavar="PATTERN",
            help="skip what matches this pattern",
        )
        p.add_argument("--page-size", type=int, help="objects per listing request (at most 1000)")
        p.add_argument(
            "--request-payer",
            nargs="?",
            const="requester",
            choices=["requester"],
            help="confirm that the requester pays for a Requester Pays bucket",
        )
    elif command in ("mb", "rb", "presign"):
        p.add_argument("path", metavar=uri, help="s3://bucket" + ("/key" if command == "presign" else ""))
        if command == "rb":
            p.add_argument("--force", action="store_true", help="delete every object of the bucket first")
        if command == "presign":
            p.add_argument(
                "--expires-in",
                type=int,
                default=3600,
                help="seconds the URL stays valid (default 3600, max 604800)",
            )
    else:
        add_ls_args(p)
    return p


# --- cp / mv / sync ---------------------------------------------------------------------------


def _paths_type(src: str, dest: str) -> str:
    kinds = ("s3" if is_s3(src) else "local") + ("s3" if is_s3(dest) else "local")
    if kinds == "locallocal":
        raise UsageError(
            "Error: Invalid argument type\nusage: s3seal s3 cp <LocalPath> <S3Uri> or <S3Uri> <LocalPath> "
            "or <S3Uri> <S3Uri>"
        )
    return kinds


def _validate(command: str, args: argparse.Namespace, paths_type: str) -> None:
    """The AWS CLI's checks before any request, with its messages (v1: exit 255)."""
    for flag in ("sse_c", "sse_c_copy_source"):
        key, algo = getattr(args, flag + "_key"), getattr(args, flag)
        name, key_name = "--" + flag.replace("_", "-"), "--" + flag.replace("_", "-") + "-key"
        if algo and not key:
            raise UsageError(f"It {name} is specified, {key_name} must be specified as well.")
        if key and not algo:
            raise UsageError(f"It {key_name} is specified, {name} must be specified as well.")
    if args.sse_c_copy_source and paths_type != "s3s3":
        raise UsageError("--sse-c-copy-source is only supported for copy operations.")
    src, dest = args.paths
    if "-" in (src, dest) and (command != "cp" or args.dir_op):
        raise UsageError("Streaming currently is only compatible with non-recursive cp commands")
    if paths_type == "locals3" and src != "-" and not os.path.exists(src):
        # A RuntimeError in AWS CLI v2 too: exit 255, not 252.
        raise UsageError(f"The user-provided path {src} does not exist.", rc=RC_ERROR)


def _transfer(command: str, args: argparse.Namespace, gargs: argparse.Namespace) -> int:
    src, dest = args.paths
    paths_type = _paths_type(src, dest)
    if command == "sync":
        args.dir_op = True
    _validate(command, args, paths_type)
    client = make_client(gargs)
    printer = Printer(args, streaming="-" in (src, dest))
    if "-" in (src, dest):
        return _stream(client, args, src, dest, printer)
    if paths_type == "locals3" and not args.dir_op and os.path.isdir(src):
        # The AWS CLI tries, and fails, to open the directory as a file.
        path = os.path.join(os.path.abspath(src), "")
        printer.failure("upload", relative_path(path), dest, f"[Errno 21] Is a directory: '{path}'")
        return RC_TRANSFER_FAILED
    if paths_type == "s3local" and args.dir_op and not os.path.exists(dest):
        os.makedirs(dest)
    filters = Filters(args.filters or [], filter_root(src, args.dir_op), filter_root(dest, args.dir_op))
    try:
        tasks = list(_plan(command, client, args, paths_type, filters, printer))
    except Exception as e:  # a failed listing or HEAD: "fatal error", exit 1 (AWS CLI)
        printer.fatal(e)
        return RC_TRANSFER_FAILED
    return run_tasks(tasks, printer, args.dryrun)


def _plan(command: str, client: Any, args: Any, paths_type: str, filters: Filters, printer: Printer) -> Any:
    """The tasks of a cp / mv / sync: one per source file kept by the filters (and, for
    sync, not already up to date), then sync's deletions."""
    src, dest = args.paths
    sources = [s for s in _sources(client, args, src, paths_type, printer) if filters.included(s)]
    if command != "sync":
        for info in sources:
            yield _task(command, client, args, info, _dest_for(info, dest, args.dir_op), paths_type)
        return
    existing = {d.rel: d for d in _listing(client, dest) if filters.included(d)}
    for info in sources:
        target = existing.get(info.rel)
        if needs_sync(info, target, args.size_only, args.exact_timestamps):
            yield _task(command, client, args, info, _dest_for(info, dest, True), paths_type)
    if args.delete:
        kept = {s.rel for s in sources}
        for rel, info in existing.items():
            if rel not in kept:
                yield _delete_task(client, info)


def _sources(client: Any, args: Any, src: str, paths_type: str, printer: Printer) -> Any:
    if paths_type.startswith("local"):
        if not args.dir_op:
            yield local_info(src, os.path.basename(src))
            return
        for found in walk_local(src):
            if isinstance(found, str):
                printer.warning(found)
            else:
                yield found
        return
    bucket, key = split_s3(src)
    if not args.dir_op:
        head = _head_source(client, args, bucket, key, paths_type)
        yield FileInfo(
            f"{bucket}/{key}", key.split("/")[-1], head["ContentLength"], head["LastModified"], True
        )
        return
    prefix = key if not key or key.endswith("/") else key + "/"
    for info in list_s3(client, bucket, prefix):
        if paths_type == "s3local" and info.rel.endswith("/"):
            continue  # a "directory" marker object has no local file
        yield info


def _head_source(client: Any, args: Any, bucket: str, key: str, paths_type: str) -> dict[str, Any]:
    """HEAD of a single source object, with the key that reads it (the copy-source key for an
    s3->s3 copy); a 404 gets the AWS CLI's clearer message."""
    from s3seal.exceptions import ClientError

    kind = "head_copy_source" if paths_type == "s3s3" else "head"
    try:
        return client.head_object(Bucket=bucket, Key=key, **request_args(args, kind))  # type: ignore[no-any-return]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "404":
            raise
        response = dict(e.response)
        response["Error"] = {**response["Error"], "Message": f'Key "{key}" does not exist'}
        raise ClientError(response, "HeadObject") from None


def _listing(client: Any, location: str) -> list[FileInfo]:
    """What a sync destination already holds, keyed by the same relative names."""
    if is_s3(location):
        bucket, key = split_s3(location)
        prefix = key if not key or key.endswith("/") else key + "/"
        return list(list_s3(client, bucket, prefix))
    if not os.path.isdir(location):
        return []
    return [f for f in walk_local(location) if isinstance(f, FileInfo)]


def _dest_for(info: FileInfo, dest: str, dir_op: bool) -> str:
    """The destination of one source file: under the destination directory / prefix for a
    recursive command or a destination ending in a separator, else the destination itself."""
    if is_s3(dest):
        bucket, key = split_s3(dest)
        if dir_op or not key or key.endswith("/"):
            prefix = key if not key or key.endswith("/") else key + "/"
            key = prefix + info.rel
        return f"s3://{bucket}/{key}"
    if dir_op or dest.endswith(os.sep) or os.path.isdir(dest):
        return os.path.join(dest, *info.rel.split("/"))
    return dest


def _task(command: str, client: Any, args: Any, info: FileInfo, dest: str, paths_type: str) -> Task:
    verb = {"locals3": "upload", "s3local": "download", "s3s3": "copy"}[paths_type]
    shown_dest = dest if is_s3(dest) else relative_path(dest)
    label = "move" if command == "mv" else verb

    def work(callback: Any) -> None:
        if verb == "upload":
            _upload(client, args, info, dest, callback)
        elif verb == "download":
            _download(client, args, info, dest, callback)
        else:
            _copy(client, args, info, dest, callback)
        if command == "mv":
            _remove_source(client, info)

    return Task(label, info.display(), shown_dest, info.size, work)


def _upload(client: Any, args: Any, info: FileInfo, dest: str, callback: Any) -> None:
    bucket, key = split_s3(dest)
    extra = request_args(args, "put")
    if "ContentType" not in extra and args.guess_mime_type:
        guessed = mimetypes.guess_type(info.path)[0]
        if guessed:
            extra["ContentType"] = guessed
    client.upload_file(info.path, bucket, key, ExtraArgs=extra, Callback=callback)


def _download(client: Any, args: Any, info: FileInfo, dest: str, callback: Any) -> None:
    bucket, key = info.bucket_key
    parent = os.path.dirname(os.path.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    before = _inode(dest)
    try:
        client.download_file(bucket, key, dest, ExtraArgs=request_args(args, "get"), Callback=callback)
    except Exception:
        # Ctrl-C: the engine delivers progress on its own thread, so the callback may raise
        # after the download completed and renamed its file into place; the call reports the
        # callback's exception (or what it became) all the same. A new file at the
        # destination means it is whole: the engine renames only a complete download.
        if _inode(dest) in (None, before):
            raise
    # As the AWS CLI: the file takes the object's time, so that the next sync skips it;
    # in whole seconds, as it sets it (S3 itself lists whole seconds).
    stamp = int(info.mtime.timestamp())
    os.utime(dest, (stamp, stamp))


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _copy(client: Any, args: Any, info: FileInfo, dest: str, callback: Any) -> None:
    bucket, key = split_s3(dest)
    src_bucket, src_key = info.bucket_key
    source = {"Bucket": src_bucket, "Key": src_key}
    client.copy(source, bucket, key, ExtraArgs=request_args(args, "copy"), Callback=callback)


def _remove_source(client: Any, info: FileInfo) -> None:
    if info.is_s3:
        bucket, key = info.bucket_key
        client.delete_object(Bucket=bucket, Key=key)
    else:
        os.remove(info.path)


def _delete_task(client: Any, info: FileInfo) -> Task:
    def work(callback: Any) -> None:
        _remove_source(client, info)

    return Task("delete", info.display(), None, 0, work)


def _stream(client: Any, args: Any, src: str, dest: str, printer: Printer) -> int:
    """``cp - s3://b/k`` (stdin) and ``cp s3://b/k -`` (stdout); errors only, as the AWS CLI."""
    try:
        if src == "-":
            bucket, key = split_s3(dest)
            client.upload_fileobj(sys.stdin.buffer, bucket, key, ExtraArgs=request_args(args, "put"))
        else:
            bucket, key = split_s3(src)
            client.download_fileobj(bucket, key, sys.stdout.buffer, ExtraArgs=request_args(args, "get"))
            sys.stdout.buffer.flush()
    except Exception as e:  # reported as the AWS CLI reports a failed transfer
        verb = "upload" if src == "-" else "download"
        printer.failure(verb, src, dest, e)
        return RC_TRANSFER_FAILED
    return RC_OK


# --- rm ---------------------------------------------------------------------------------------


def _rm(command: str, args: argparse.Namespace, gargs: argparse.Namespace) -> int:
    if not is_s3(args.path):
        raise UsageError("Error: Invalid argument type\nusage: s3seal s3 rm <S3Uri>")
    client = make_client(gargs)
    printer = Printer(args, streaming=False)
    bucket, key = split_s3(args.path)
    if args.dir_op:
        filters = Filters(args.filters or [], filter_root(args.path, True), None)
        prefix = key if not key or key.endswith("/") else key + "/"
        infos = [i for i in list_s3(client, bucket, prefix) if filters.included(i)]
    else:
        infos = [FileInfo(f"{bucket}/{key}", key, 0, datetime.datetime.now(datetime.timezone.utc), True)]
    return run_tasks([_delete_task(client, i) for i in infos], printer, args.dryrun)


# --- ls / mb / rb / presign -------------------------------------------------------------------


def _ls(command: str, args: argparse.Namespace, gargs: argparse.Namespace) -> int:
    from s3seal.cli.s3ls import ls

    return ls(make_client(gargs), args)


def _mb(command: str, args: argparse.Namespace, gargs: argparse.Namespace) -> int:
    bucket = _bucket_only(args.path, "mb")
    client = make_client(gargs)
    params: dict[str, Any] = {"Bucket": bucket}
    region = client.meta.region_name
    if region and region != "us-east-1":  # us-east-1 refuses its own LocationConstraint
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**params)
    except Exception as e:  # the AWS CLI prints any failure and returns 1
        sys.stderr.write(f"make_bucket failed: {args.path} {e}\n")
        return RC_TRANSFER_FAILED
    sys.stdout.write(f"make_bucket: {bucket}\n")
    return RC_OK


def _rb(command: str, args: argparse.Namespace, gargs: argparse.Namespace) -> int:
    bucket = _bucket_only(args.path, "rb")
    _, key = split_s3(args.path)
    if key:
        raise UsageError(f"Please specify a valid bucket name only. E.g. s3://{bucket}")
    client = make_client(gargs)
    if args.force:  # as the AWS CLI: `rm --recursive` first
        rm_args = _parser("rm").parse_args([args.path, "--recursive"])
        if _rm("rm", rm_args, gargs) != RC_OK:
            raise UsageError(  # a RuntimeError in AWS CLI v2: 255
                "remove_bucket failed: Unable to delete all objects in the bucket, bucket will not be deleted.",
                rc=RC_ERROR,
            )
    try:
        client.delete_bucket(Bucket=bucket)
    except Exception as e:  # the AWS CLI prints any failure and returns 1
        sys.stderr.write(f"remove_bucket failed: {args.path} {e}\n")
        return RC_TRANSFER_FAILED
    sys.stdout.write(f"remove_bucket: {bucket}\n")
    return RC_OK


def _bucket_only(path: str, command: str) -> str:
    if not is_s3(path):
        raise UsageError("<S3Uri>\nError: Invalid argument type")
    return split_s3(path)[0]


def _presign(command: str, args: argparse.Namespace, gargs: argparse.Namespace) -> int:
    """The AWS CLI's ``s3 presign``: a presigned GET URL for one object (SigV4)."""
    bucket, key = split_s3(args.path) if is_s3(args.path) else (None, None)
    if not bucket or not key:
        raise UsageError("<S3Uri>\nError: Invalid argument type")
    client = make_client(gargs)
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=args.expires_in
    )
    sys.stdout.write(url + "\n")
    return RC_OK
