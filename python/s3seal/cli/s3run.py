"""Running the transfers of an ``s3`` command and reporting them as the AWS CLI does:
``upload: ./f to s3://b/k`` lines, ``upload failed: ... <error>`` on stderr, a progress line
(``Completed 1.0 MiB/2.0 MiB (5.0 MiB/s) with 1 file(s) remaining``) only on a terminal,
and the exit code: 0, 1 when a transfer failed, 2 when files were skipped with a warning.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from s3seal import _native
from s3seal.cli.common import LOG, RC_OK, RC_TRANSFER_FAILED, RC_WARNINGS
from s3seal.transfer import STOP

# The AWS CLI's default max_concurrent_requests: files transferred at once.
CONCURRENCY = 10


def human_readable_size(value: float) -> str:
    """awscli's ``human_readable_size``: ``1 Byte``, ``10 Bytes``, ``1.0 KiB``, ``3.5 MiB``."""
    if value == 1:
        return "1 Byte"
    if value < 1024:
        return f"{int(value)} Bytes"
    for exponent, suffix in enumerate(("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"), start=2):
        unit = 1024**exponent
        if value < unit:
            return f"{1024 * value / unit:.1f} {suffix}"
    return f"{value / 1024**7:.1f} EiB"


class Cancelled(Exception):
    """Raised in a worker's progress callback after Ctrl-C."""


@dataclass
class Task:
    """One transfer (or deletion): its verb and locations as printed, its size for the
    progress line, and the work, given a bytes callback (None when no progress is shown)."""

    verb: str
    src: str
    dest: str | None
    size: int
    work: Callable[[Callable[[int], None] | None], None]

    def location(self) -> str:
        return self.src if self.dest is None else f"{self.src} to {self.dest}"


class Printer:
    """Where results go. Thread-safe: transfers finish on worker threads."""

    def __init__(self, args: Any, streaming: bool) -> None:
        quiet = getattr(args, "quiet", False)
        self.show_success = not (quiet or getattr(args, "only_show_errors", False) or streaming)
        self.show_errors = not quiet
        self.show_progress = self.show_success and getattr(args, "progress", True) and sys.stdout.isatty()
        self.lock = threading.Lock()
        self.warnings = 0
        self.failures = 0
        self.total_bytes = 0
        self.done_bytes = 0
        self.remaining = 0
        self.started = time.monotonic()
        self._progress_len = 0
        # Set on Ctrl-C, with every running transfer's stop fired: the engine stops it and
        # cleans up (aborts the multipart upload, removes the temporary file), and it fails
        # with `Cancelled`. Work between transfers checks the event.
        self.cancelled = threading.Event()
        self._stops: set[Any] = set()

    def start_transfer(self) -> Any:
        """A stop for one transfer, fired by `cancel` (at once if it already happened)."""
        stop = _native.TransferStop(Cancelled("cancelled: ctrl-c received"))
        with self.lock:
            self._stops.add(stop)
        if self.cancelled.is_set():
            stop.stop()
        return stop

    def end_transfer(self, stop: Any) -> None:
        with self.lock:
            self._stops.discard(stop)

    def cancel(self) -> None:
        self.cancelled.set()
        with self.lock:
            stops = list(self._stops)
        for stop in stops:
            stop.stop()

    def callback(self) -> Callable[[int], None] | None:
        """The bytes callback for a transfer: only when the progress line is shown. Each call
        wakes a reporter thread and takes the GIL, a cost a piped or `--no-progress` run has
        no use for."""
        return self.add_bytes if self.show_progress else None

    def _out(self, line: str, stream: Any) -> None:
        # A result line overwrites the progress line, padded as the AWS CLI pads it.
        pad = max(self._progress_len - len(line), 0)
        stream.write(line + " " * pad + "\n")
        stream.flush()
        self._progress_len = 0
        self._progress()

    def success(self, task: Task, dryrun: bool) -> None:
        with self.lock:
            self.remaining -= 1
            if self.show_success:
                self._out(("(dryrun) " if dryrun else "") + f"{task.verb}: {task.location()}", sys.stdout)

    def failure(self, verb: str, src: str, dest: str | None, error: object) -> None:
        with self.lock:
            self.failures += 1
            self.remaining -= 1
            if self.show_errors:
                where = src if dest is None else f"{src} to {dest}"
                self._out(f"{verb} failed: {where} {error}", sys.stderr)

    def warning(self, message: str) -> None:
        with self.lock:
            self.warnings += 1
            if self.show_errors:
                self._out(message, sys.stderr)

    def fatal(self, error: BaseException) -> None:
        with self.lock:
            self.failures += 1
            if self.show_errors:
                self._out(f"fatal error: {error}", sys.stderr)

    def add_bytes(self, amount: int) -> None:
        if self.cancelled.is_set():
            raise Cancelled("cancelled: ctrl-c received")
        with self.lock:
            self.done_bytes += amount
            self._progress()

    def _progress(self) -> None:
        if not self.show_progress or self.remaining <= 0:
            return
        rate = self.done_bytes / max(time.monotonic() - self.started, 1e-3)
        line = (
            f"Completed {human_readable_size(self.done_bytes)}/{human_readable_size(self.total_bytes)} "
            f"({human_readable_size(rate)}/s) with {self.remaining} file(s) remaining"
        )
        sys.stdout.write(line.ljust(self._progress_len) + "\r")
        sys.stdout.flush()
        self._progress_len = len(line)

    def exit_code(self) -> int:
        if self.failures:
            return RC_TRANSFER_FAILED
        return RC_WARNINGS if self.warnings else RC_OK


def _run_one(task: Task, printer: Printer, dryrun: bool) -> None:
    if not dryrun:
        if printer.cancelled.is_set():
            return
        stop = printer.start_transfer()
        token = STOP.set(stop)
        try:
            task.work(printer.callback())
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # each failure is reported; the other transfers go on
            if printer.cancelled.is_set():
                return  # Ctrl-C, not a failure of this transfer
            LOG.debug("%s failed", task.location(), exc_info=True)
            printer.failure(task.verb, task.src, task.dest, _reason(e))
            return
        finally:
            STOP.reset(token)
            printer.end_transfer(stop)
    printer.success(task, dryrun)


def _reason(error: Exception) -> Any:
    """What follows "upload failed: ... ": the error's message, as the AWS CLI prints it."""
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"[Errno 2] No such file or directory: '{os.fspath(error.filename)}'"
    return error


def run_tasks(tasks: list[Task], printer: Printer, dryrun: bool) -> int:
    """Run the tasks, CONCURRENCY at a time, on worker threads; Ctrl-C cancels what has not
    started, stops what runs (the engine aborts its multipart uploads and removes its temporary
    files) and propagates."""
    printer.total_bytes = sum(t.size for t in tasks)
    printer.remaining = len(tasks)
    if dryrun:
        for task in tasks:
            _run_one(task, printer, dryrun)
        return printer.exit_code()
    pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="s3seal-cli")
    try:
        pending = {pool.submit(_run_one, t, printer, dryrun) for t in tasks}
        while pending:
            # Never one long wait: the kernel may deliver SIGINT to one of the engine's threads,
            # which does not interrupt the main thread's wait, and Python runs the handler (the
            # KeyboardInterrupt) only when the main thread runs again.
            done, pending = wait(pending, timeout=0.05, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # re-raise what _run_one let through
    except KeyboardInterrupt:
        printer.cancel()
        pool.shutdown(wait=True, cancel_futures=True)  # the running ones stop and clean up
        sys.stderr.write("cancelled: ctrl-c received\n")
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return printer.exit_code()
