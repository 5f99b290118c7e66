"""Re-key SSE-C objects: copy every object under a prefix onto itself from an old customer key
to a new one, verify each, and keep a journal so that a stopped run resumes.

AWS's S3 Batch Operations cannot copy SSE-C objects, so this is the tool.

Per object, three requests: one CopyObject onto itself from the old key to the new one, then
the verification: a HEAD with the new key must echo its MD5 (and the listed size), a HEAD with
the old key must be refused. Only then does the object count as rotated. The copy names the
object's listed ETag (``CopySourceIfMatch``: an object rewritten since the listing is not
overwritten with a stale copy), keeps metadata, content headers, tags and the checksum itself
(``MetadataDirective``/``TaggingDirective`` COPY; S3 copies the source's checksum algorithm
when none is named) and is given the listed storage class, which a copy would not keep. Its
copy-source key is the ring's likeliest key: the one that opened the previous object. A copy
with the wrong key, or of an object that is not SSE-C, is refused by S3 and changes nothing;
such an object is then looked at (HEAD with each key of the ring, then with the new key:
already rotated, or foreign and left alone).

Objects above the multipart threshold (CopyObject's limit, 5 GiB, unless ``Config`` says
otherwise) are looked at first (a HEAD with their key) and go through the managed copy
(UploadPartCopy) with their metadata, content headers, storage class and tags given back
explicitly, since a multipart copy starts a new upload that inherits none of them; their
checksum becomes one of the parts (S3's composite type) with the same algorithm, except
CRC64NVME which stays a full-object checksum. Objects with ``head_first=True`` or
``key_tag=True``, and dry runs, are looked at first too.

Not carried over, as with any S3 copy: object ACLs (CopyObject resets them; buckets with ACLs
disabled, S3's default, have none) and Object Lock retention or legal holds. S3 does not carry
``x-amz-website-redirect-location`` over in a metadata-preserving copy either; objects with
one (a static-website setting) keep it only with ``head_first=True``.

A run killed during a multipart copy leaves an incomplete multipart upload behind (billed
until aborted): a lifecycle rule with ``AbortIncompleteMultipartUpload`` cleans those up.

In a versioned bucket the copy is a new version: the previous versions keep the old key
(and stay readable with it); the report says so, and deleting them is left to the caller.

Scale-out uses an existing executor, not a home-made one: ``executor=`` takes any
``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``, dask.distributed's
``Client.get_executor()``...). A work unit pickles by configuration only: the client as its
configuration (credentials are resolved again on the worker) and the keys as references
(``CustomerKey.from_env`` / ``from_file``), which the worker loads and checks by MD5. A unit
is 64 objects (``batch_size``), rotated 16 at a time where it runs (``unit_concurrency``);
``2 * max_concurrency`` units are in flight, so give ``max_concurrency`` at least the number of
worker threads. The listing and the journal stay on the calling machine. A dask cluster, for
instance (every worker has the credentials and ``SSE_OLD_*`` / ``SSE_NEW_*`` in its
environment; tested with a LocalCluster of 2 worker processes)::

    from dask.distributed import Client
    with Client("scheduler:8786") as dask:
        report = rotate(  # from s3seal.rotate import rotate
            s3seal.client("s3"), Bucket="b", Prefix="p/",
            old=CustomerKey.from_env("SSE_OLD"), new=CustomerKey.from_env("SSE_NEW"),
            executor=dask.get_executor(), max_concurrency=2 * n_worker_threads,
            journal="rotate.jsonl", report_keys=False,
        )
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlencode

from s3seal.keys import CustomerKey, KeyRing, error_code, head_with, opens, record_key_tag

ROTATED, SKIPPED, FOREIGN, FAILED, PENDING = "rotated", "skipped", "foreign", "failed", "pending"

# What a HEAD reports that the copy must give back (names of HeadObject's output that are also
# CopyObject / CreateMultipartUpload parameters). Metadata and tags are handled on their own.
_KEPT_HEADERS = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "Expires",
    "StorageClass",
    "WebsiteRedirectLocation",
)
_CHECKSUMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
# One CopyObject up to its limit (5 GiB) unless a Config asks for multipart copies sooner: a
# single copy keeps the object's checksum as it is, a multipart copy cannot (S3 gives it a
# checksum of its parts instead).
DEFAULT_MULTIPART_THRESHOLD = 5 * 2**30
# Threads: an object costs three sequential requests, so against S3 (tens of ms each) it takes
# many in flight to keep up; on local servers 8 to 64 measured alike (the server is the limit).
DEFAULT_CONCURRENCY = 32
_NOT_IMPLEMENTED = ("NotImplemented", "501")  # servers without tagging or versioning (Garage)


# A CopyObject refused for these reasons changed nothing: the copy-source key is not the
# object's (403 on S3, 400 on some servers), the object is not SSE-C (400), or it changed since
# it was listed (412). Such an object is then looked at with HEADs.
_COPY_REFUSED = frozenset(
    (
        "400",
        "403",
        "412",
        "AccessDenied",
        "InvalidRequest",
        "InvalidArgument",
        "BadRequest",
        "PreconditionFailed",
    )
)


class RotationError(Exception):
    """An object was copied but did not verify."""


@dataclass(frozen=True)
class _Listed:
    """One object as ListObjectsV2 gave it."""

    key: str
    size: int
    etag: str | None = None
    storage_class: str | None = None


class _Hint:
    """Which key of the ring opened the last object: the likeliest key of the next one."""

    __slots__ = ("md5",)

    def __init__(self) -> None:
        self.md5: str | None = None


@dataclass(frozen=True)
class ObjectResult:
    """What happened to one object. ``reason`` never contains key material."""

    key: str
    status: str
    size: int = 0
    reason: str = ""


@dataclass
class RotationReport:
    """The outcome of :func:`rotate`: keys by outcome, failures and foreign objects with reasons.

    ``counts`` has the number of objects by outcome. With ``keep_keys=False`` (rotate's
    ``report_keys=False``) the rotated, skipped and pending keys are counted, not listed, so
    that a run over millions of objects keeps its memory bounded (the journal lists them);
    foreign and failed objects are always listed."""

    bucket: str
    prefix: str
    new_md5: str
    dry_run: bool = False
    rotated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # dry run: would be rotated
    foreign: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    bytes_rotated: int = 0
    elapsed: float = 0.0
    versioned: bool = False  # old versions keep the old key: see summary()
    keep_keys: bool = True
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((ROTATED, SKIPPED, PENDING), 0))

    @property
    def ok(self) -> bool:
        """No object failed (foreign objects are reported, not failures)."""
        return not self.failed

    @property
    def objects_per_second(self) -> float:
        return self.counts[ROTATED] / self.elapsed if self.elapsed else 0.0

    def add(self, result: ObjectResult) -> None:
        if result.status in (FOREIGN, FAILED):
            getattr(self, result.status).append((result.key, result.reason))
            return
        self.counts[result.status] += 1
        if self.keep_keys:
            getattr(self, result.status).append(result.key)
        if result.status == ROTATED:
            self.bytes_rotated += result.size

    def summary(self) -> str:
        verb = "would rotate" if self.dry_run else "rotated"
        count = self.counts[PENDING] if self.dry_run else self.counts[ROTATED]
        lines = [
            f"s3://{self.bucket}/{self.prefix} -> key md5={self.new_md5}: {verb} {count}, "
            f"skipped {self.counts[SKIPPED]}, foreign {len(self.foreign)}, failed {len(self.failed)} "
            f"({self.bytes_rotated} bytes in {self.elapsed:.1f} s, {self.objects_per_second:.1f} objects/s)"
        ]
        if self.versioned:
            lines.append(
                "  versioned bucket: the previous versions are still encrypted with the old key "
                "(readable with it); delete them once you have checked the new ones"
            )
        lines += [f"  foreign: {key}: {reason}" for key, reason in self.foreign]
        lines += [f"  FAILED: {key}: {reason}" for key, reason in self.failed]
        return "\n".join(lines)


@dataclass
class _WorkUnit:
    """What a worker needs: picklable by configuration (client) and reference (keys)."""

    client: Any
    bucket: str
    old: KeyRing
    new: CustomerKey
    dry_run: bool
    config: Any
    objects: list[_Listed]
    key_tag: bool = False
    head_first: bool = False
    hint: _Hint = field(default_factory=_Hint)
    threads: int = 1


# -- one object -----------------------------------------------------------------------------


def _rotate_batch(unit: _WorkUnit) -> list[ObjectResult]:
    """The function executors run (module level, so it pickles by name): the unit's objects,
    ``unit.threads`` at a time (the client is thread-safe and shared)."""
    threads = min(unit.threads, len(unit.objects))
    if threads <= 1:
        return [_rotate_object(unit, obj) for obj in unit.objects]
    with ThreadPoolExecutor(threads, thread_name_prefix="s3seal-rotate-unit") as pool:
        return list(pool.map(functools.partial(_rotate_object, unit), unit.objects))


def _rotate_object(unit: _WorkUnit, obj: _Listed) -> ObjectResult:
    try:
        looked_at = unit.dry_run or unit.key_tag or unit.head_first
        if looked_at or obj.size >= _multipart_threshold(unit.config):
            return _look_then_rotate(unit, obj)
        return _copy_then_verify(unit, obj)
    except Exception as err:  # one object's failure is reported, it does not stop the run
        reason = _redact(f"{type(err).__name__}: {err}", unit.new, *unit.old)
        return ObjectResult(obj.key, FAILED, obj.size, reason)


def _copy_then_verify(unit: _WorkUnit, obj: _Listed) -> ObjectResult:
    """The common case in three requests: copy with the likeliest key, then verify."""
    client, target = unit.client, {"Bucket": unit.bucket, "Key": obj.key}
    guess = _likeliest(unit)
    if guess is None:
        return _look_then_rotate(unit, obj)
    extra = {**guess.copy_source_params(), **unit.new.params()}
    if obj.etag:
        extra["CopySourceIfMatch"] = obj.etag
    if obj.storage_class and obj.storage_class != "STANDARD":
        extra["StorageClass"] = obj.storage_class  # a copy without one lands in STANDARD
    try:
        copied = _copy_to_new_key(client, target, extra)
    except Exception as err:
        if error_code(err) not in _COPY_REFUSED:
            raise
        # Not this key, not SSE-C, changed since listed, or another 400 (which a wrong key on
        # some servers cannot be told apart from): nothing was written. Look at it with every
        # key, the refused one included, so that another refusal is reported as a failure.
        return _look_then_rotate(unit, obj)
    unit.hint.md5 = guess.md5
    if copied.get("SSECustomerKeyMD5") != unit.new.md5:
        raise RotationError("the copy did not answer with the new key's MD5")
    _verify(client, target, guess, unit.new, obj.size)
    return ObjectResult(obj.key, ROTATED, obj.size)


def _likeliest(unit: _WorkUnit) -> CustomerKey | None:
    """The key that opened the previous object, else the ring's first (never the new key)."""
    hinted = unit.old.get(unit.hint.md5 or "")
    if hinted is not None and hinted != unit.new:
        return hinted
    return next((key for key in unit.old if key != unit.new), None)


def _look_then_rotate(unit: _WorkUnit, obj: _Listed) -> ObjectResult:
    """Find the object's key with HEADs first, then copy what the HEAD showed (multipart above
    the threshold) and verify: the path of large objects, dry runs, ``head_first`` and
    ``key_tag``, and of objects the likeliest key did not open."""
    client, key, size = unit.client, obj.key, obj.size
    target: dict[str, Any] = {"Bucket": unit.bucket, "Key": key}
    found = unit.old.match(client, use_tag=unit.key_tag, ChecksumMode="ENABLED", **target)
    if found is None or found[0] == unit.new:
        return _not_rotatable(client, unit.new, target, size)
    old, head = found
    unit.hint.md5 = old.md5
    if unit.dry_run:
        return ObjectResult(key, PENDING, size)
    _copy_as_seen(client, target, old, unit.new, head, unit.config)
    _verify(client, target, old, unit.new, head.get("ContentLength"))
    if unit.key_tag:
        record_key_tag(client, unit.new, **target)
    return ObjectResult(key, ROTATED, size)


def _redact(text: str, *keys: CustomerKey) -> str:
    """s3seal's errors never quote a key, but a boto3 client's ParamValidationError does."""
    for key in keys:
        if not key.closed:
            text = text.replace(key.b64, "<redacted>")
    return text


def _not_rotatable(client: Any, new: CustomerKey, target: dict[str, str], size: int) -> ObjectResult:
    """Already on the new key (a resumed or repeated run), or not ours to touch."""
    if opens(client, new, **target):
        return ObjectResult(target["Key"], SKIPPED, size, "already on the new key")
    try:
        client.head_object(**target)
    except Exception as err:
        if error_code(err) not in ("400", "403"):  # anything but "needs a key" is a real error
            raise
        return ObjectResult(target["Key"], FOREIGN, size, "SSE-C with a key that is not in `old`")
    return ObjectResult(target["Key"], FOREIGN, size, "not encrypted with SSE-C")


def _copy_to_new_key(client: Any, target: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    """One CopyObject of the object onto itself (``extra``: keys, preconditions, attributes)."""
    response: dict[str, Any] = client.copy_object(CopySource=dict(target), **target, **extra)
    return response


def _copy_as_seen(
    client: Any, target: dict[str, str], old: CustomerKey, new: CustomerKey, head: dict[str, Any], config: Any
) -> None:
    extra = {**old.copy_source_params(), **new.params(), **_kept_attributes(head)}
    if head.get("ETag"):
        # Copy the version we looked at, not one written concurrently since.
        extra["CopySourceIfMatch"] = head["ETag"]
    if int(head.get("ContentLength", 0)) < _multipart_threshold(config):
        # What the managed copy would send, without its HEAD (``head`` is fresh); one
        # CopyObject keeps the tags itself (TaggingDirective COPY).
        _copy_to_new_key(client, target, extra)
        return
    # A multipart copy starts a new upload that inherits no tags: give them back.
    tags = _tags(client, target)
    if tags is not None:
        extra["TaggingDirective"] = "REPLACE"
        extra["Tagging"] = urlencode([(t["Key"], t["Value"]) for t in tags])
    client.copy(dict(target), target["Bucket"], target["Key"], ExtraArgs=extra, Config=config)


def _multipart_threshold(config: Any) -> int:
    return int(getattr(config, "multipart_threshold", None) or DEFAULT_MULTIPART_THRESHOLD)


def _kept_attributes(head: dict[str, Any]) -> dict[str, Any]:
    """Metadata, content headers, storage class and checksum algorithm, given back explicitly
    (MetadataDirective REPLACE) so single-part and multipart copies keep the same; a copy
    without StorageClass would land in STANDARD."""
    kept: dict[str, Any] = {name: head[name] for name in _KEPT_HEADERS if head.get(name)}
    kept["MetadataDirective"] = "REPLACE"
    kept["Metadata"] = head.get("Metadata") or {}
    algorithm = next((a for a in _CHECKSUMS if head.get(f"Checksum{a}")), None)
    if algorithm is not None:
        kept["ChecksumAlgorithm"] = algorithm
    return kept


def _tags(client: Any, target: dict[str, str]) -> list[dict[str, str]] | None:
    """The object's tags, or None where the server has no tagging (the copy's default
    TaggingDirective COPY then applies)."""
    try:
        return list(client.get_object_tagging(**target).get("TagSet", []))
    except Exception as err:
        if error_code(err) in _NOT_IMPLEMENTED:
            return None
        raise


def _verify(client: Any, target: dict[str, str], old: CustomerKey, new: CustomerKey, size: Any) -> None:
    """A HEAD with the new key echoes its MD5 and the size; a HEAD with the old key is refused."""
    after = head_with(client, new, **target)
    if after is None:
        raise RotationError("the new key does not open the copied object")
    if after.get("ContentLength") != size:
        raise RotationError(f"size changed: {size} -> {after.get('ContentLength')}")
    if opens(client, old, **target):
        raise RotationError("the old key still opens the object")


# -- the run --------------------------------------------------------------------------------


class _Journal:
    """JSON lines of finished objects; a resumed run skips what it records as done."""

    def __init__(self, path: str | os.PathLike[str] | None, new_md5: str, dry_run: bool) -> None:
        self.new_md5 = new_md5
        self.done = self._load(path, new_md5)
        # A dry run changes nothing, the journal included.
        self._file: IO[str] | None = None if path is None or dry_run else self._open(path)

    @staticmethod
    def _open(path: str | os.PathLike[str]) -> IO[str]:
        cut_short = False
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, "rb") as existing:
                existing.seek(-1, os.SEEK_END)
                cut_short = existing.read(1) != b"\n"
        journal = open(path, "a", encoding="utf-8")
        if cut_short:
            journal.write("\n")  # end the line a crash cut short, so the next entry stands alone
        return journal

    @staticmethod
    def _load(path: str | os.PathLike[str] | None, new_md5: str) -> set[str]:
        if path is None or not os.path.exists(path):
            return set()
        done = set()
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash: that object is simply redone
                if entry.get("new_md5") == new_md5 and entry.get("status") in (ROTATED, SKIPPED):
                    done.add(entry["key"])
        return done

    def record(self, result: ObjectResult) -> None:
        if self._file is None:
            return
        entry = {"key": result.key, "status": result.status, "size": result.size, "new_md5": self.new_md5}
        if result.reason:
            entry["reason"] = result.reason
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _list_objects(client: Any, bucket: str, prefix: str) -> Iterator[_Listed]:
    """The objects under the prefix, a page (1,000) at a time: memory stays bounded."""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield _Listed(obj["Key"], int(obj.get("Size", 0)), obj.get("ETag"), obj.get("StorageClass"))


def _batches(objects: Iterable[_Listed], size: int) -> Iterator[list[_Listed]]:
    batch: list[_Listed] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Run:
    """Submits work units with a bounded number in flight and records results in order of
    completion: journal and report first, then the caller's Callback.

    Finished units arrive on a queue (each future's done-callback puts it there), so that
    collecting one costs the same however many are in flight."""

    def __init__(
        self, executor: Executor, window: int, journal: _Journal, report: RotationReport, callback: Any
    ):
        self.executor, self.window, self.journal, self.report = executor, window, journal, report
        self.callback = callback
        self.in_flight: set[Future[list[ObjectResult]]] = set()
        self.finished: queue.SimpleQueue[Future[list[ObjectResult]]] = queue.SimpleQueue()

    def submit_all(self, units: Iterable[_WorkUnit]) -> None:
        try:
            for unit in units:
                while len(self.in_flight) >= self.window:
                    self._collect(self._next_finished())
                future = self.executor.submit(_rotate_batch, unit)
                self.in_flight.add(future)
                future.add_done_callback(self.finished.put)
            while self.in_flight:
                self._collect(self._next_finished())
        except BaseException:
            self._drain()
            raise

    def _next_finished(self) -> list[Future[list[ObjectResult]]]:
        """At least one finished unit (waiting for it), and any others already finished."""
        done = [self.finished.get()]
        while True:
            try:
                done.append(self.finished.get_nowait())
            except queue.Empty:
                return done

    def _collect(self, done: Iterable[Future[list[ObjectResult]]]) -> None:
        results: list[ObjectResult] = []
        error: BaseException | None = None
        for future in done:
            self.in_flight.discard(future)
            try:
                results += future.result()
            except BaseException as err:  # e.g. a unit that could not be pickled
                error = error or err  # raised once the other units' results are recorded
        for result in results:
            self.report.add(result)
            self.journal.record(result)
        if error is not None:
            raise error
        if self.callback is not None:
            for result in results:
                self.callback(result)

    def _drain(self) -> None:
        """Stopping: start nothing new, and record what was already running (it may have
        rotated objects) so that the journal and report stay true."""
        for future in list(self.in_flight):
            if future.cancel():
                self.in_flight.discard(future)
        for future in list(self.in_flight):
            self.in_flight.discard(future)
            try:
                for result in future.result():
                    self.report.add(result)
                    self.journal.record(result)
            except BaseException:
                pass  # the unit's objects are re-examined by the next run


def rotate(
    client: Any,
    *,
    Bucket: str,
    Prefix: str = "",
    old: KeyRing | CustomerKey | Iterable[CustomerKey],
    new: CustomerKey,
    dry_run: bool = False,
    journal: str | os.PathLike[str] | None = None,
    max_concurrency: int = DEFAULT_CONCURRENCY,
    executor: Executor | None = None,
    Callback: Callable[[ObjectResult], Any] | None = None,
    Config: Any = None,
    batch_size: int | None = None,
    key_tag: bool = False,
    head_first: bool = False,
    unit_concurrency: int = 16,
    report_keys: bool = True,
) -> RotationReport:
    """Re-key every object under ``s3://Bucket/Prefix`` from a key of ``old`` to ``new``.

    Idempotent and resumable: objects already on ``new`` are skipped (and, with ``journal``,
    objects the journal records as done are not even looked at). Objects no key of ``old``
    opens are reported as foreign and never touched. An exception raised by ``Callback`` stops
    the run after the objects in flight are recorded; rerun with the same journal to resume.

    Args:
        client: An s3seal (or boto3) S3 client.
        old: The key(s) objects may be encrypted with now.
        new: The key they end up with.
        dry_run: Look only: report what would be rotated, write nothing (not even the journal).
        journal: A JSON-lines file of finished objects, appended to and read on resume.
        max_concurrency: Threads when no executor is given (each object's requests are
            sequential, so this is the number of objects in flight); work units in flight
            is twice this.
        executor: Any ``concurrent.futures.Executor``; a process or cluster executor needs a
            picklable client (no explicit credentials) and keys loaded from references.
            Give it enough units in flight: ``max_concurrency`` at least its workers' slots.
        Callback: Called with each :class:`ObjectResult` as objects finish (in this process).
        Config: A ``TransferConfig`` whose ``multipart_threshold`` and part size apply to the
            copies (without one: CopyObject up to 5 GiB, its limit, multipart copies above).
        batch_size: Objects per work unit (default 1 with threads, 64 with an executor, where
            each unit costs a pickle and a client rebuilt from configuration).
        key_tag: Look the old key up by the objects' ``s3seal-key-md5`` tag first, and record
            the new key's MD5 there after each rotation (see :func:`s3seal.keys.record_key_tag`).
        head_first: Look at every object (HEAD) before copying it, and give its attributes back
            explicitly: one more request per object, and the only way to keep
            ``x-amz-website-redirect-location``, which S3 does not carry over otherwise.
        unit_concurrency: With an executor, the threads each work unit uses where it runs: its
            objects are rotated that many at a time (a worker's throughput scales with it
            as on one machine with ``max_concurrency``).
        report_keys: False: the report counts rotated and skipped objects instead of listing
            their keys (memory stays bounded over millions of objects; the journal lists them).

    Returns:
        The :class:`RotationReport`.
    """
    ring = KeyRing.of(old)
    if executor is not None and not isinstance(executor, ThreadPoolExecutor):
        # Work units leave this process: fail now, with the reason (a key without a reference,
        # a client with explicit credentials), rather than inside the executor's machinery.
        pickle.dumps((client, ring, new, Config))
    report = RotationReport(Bucket, Prefix, new.md5, dry_run, keep_keys=report_keys)
    log = _Journal(journal, new.md5, dry_run)
    own = executor is None
    pool = ThreadPoolExecutor(max_concurrency, thread_name_prefix="s3seal-rotate") if own else executor
    assert pool is not None
    started = time.monotonic()
    try:
        report.versioned = _versioned(client, Bucket)
        todo = _pending(_list_objects(client, Bucket, Prefix), log.done, report)
        per_unit = batch_size or (1 if own else 64)
        threads = 1 if own else unit_concurrency  # our own pool's threads are the concurrency
        hint = _Hint()  # shared by the threads of this process; a copy in each unit elsewhere
        units = (
            _WorkUnit(client, Bucket, ring, new, dry_run, Config, batch, key_tag, head_first, hint, threads)
            for batch in _batches(todo, per_unit)
        )
        _Run(pool, 2 * max_concurrency, log, report, Callback).submit_all(units)
    finally:
        report.elapsed = time.monotonic() - started
        log.close()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return report


def _versioned(client: Any, bucket: str) -> bool:
    """Whether copies leave old versions behind (a server without versioning: no)."""
    try:
        status = client.get_bucket_versioning(Bucket=bucket).get("Status")
    except Exception as err:
        if error_code(err) in _NOT_IMPLEMENTED:
            return False
        raise
    return status in ("Enabled", "Suspended")


def _pending(objects: Iterable[_Listed], done: set[str], report: RotationReport) -> Iterator[_Listed]:
    for obj in objects:
        if obj.key in done:
            report.add(ObjectResult(obj.key, SKIPPED, obj.size, "journaled as done"))
        else:
            yield obj


# -- s3seal rotate ----------------------------------------------------------------------------


def _parse_s3_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise ValueError(f"expected s3://bucket[/prefix], got {url!r}")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    return bucket, prefix


class _Progress:
    """One status line on stderr when it is a terminal: objects, bytes, rate."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.started, self.objects, self.bytes = stream, time.monotonic(), 0, 0
        self.lock = threading.Lock()

    def __call__(self, result: ObjectResult) -> None:
        with self.lock:
            self.objects += 1
            self.bytes += result.size
            rate = self.objects / max(time.monotonic() - self.started, 1e-9)
            self.stream.write(
                f"\r{self.objects} objects, {self.bytes / 2**20:.1f} MiB, {rate:.1f} objects/s "
            )
            self.stream.flush()


def main_rotate(argv: list[str] | None = None) -> int:
    """``s3seal rotate s3://bucket/prefix --old-key REF [--old-key REF ...] --new-key REF
    [--dryrun] [--journal FILE]``; a key REF is ``fileb://PATH`` or ``env:PREFIX``.

    Exit status 0 when no object failed, 1 otherwise (2 for usage errors).
    """
    import argparse

    import s3seal
    from s3seal.keys import CustomerKeyError

    parser = argparse.ArgumentParser(prog="s3seal rotate", description="Re-key SSE-C objects under a prefix.")
    parser.add_argument("url", metavar="s3://BUCKET/PREFIX")
    parser.add_argument(
        "--old-key", action="append", required=True, metavar="REF", help="fileb://PATH or env:PREFIX"
    )
    parser.add_argument("--new-key", required=True, metavar="REF", help="fileb://PATH or env:PREFIX")
    parser.add_argument("--dryrun", action="store_true", help="report what would be rotated, change nothing")
    parser.add_argument("--journal", metavar="FILE", help="JSON-lines progress file; rerun with it to resume")
    parser.add_argument("--max-concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    args = parser.parse_args(argv)
    try:
        bucket, prefix = _parse_s3_url(args.url)
        old = KeyRing(CustomerKey.from_reference(ref) for ref in args.old_key)
        new = CustomerKey.from_reference(args.new_key)
    except (ValueError, OSError, CustomerKeyError) as err:
        print(f"s3seal rotate: {err}", file=sys.stderr)
        return 2
    session = s3seal.Session(profile_name=args.profile, region_name=args.region)
    client = session.client("s3", endpoint_url=args.endpoint_url)
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    report = rotate(
        client,
        Bucket=bucket,
        Prefix=prefix,
        old=old,
        new=new,
        dry_run=args.dryrun,
        journal=args.journal,
        max_concurrency=args.max_concurrency,
        Callback=progress,
        report_keys=False,  # the summary needs counts only: memory stays bounded
    )
    if progress is not None:
        sys.stderr.write("\n")
    print(report.summary())
    return 0 if report.ok else 1
