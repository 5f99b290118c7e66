"""The GIL is released while s3seal waits; Ctrl-C interrupts a wait; fork is safe."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest
import s3seal
from conftest import ignore_sigint
from faults import FaultProxy
from s3seal.exceptions import ReadTimeoutError


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for s in held:
        s.close()
    listener.close()


def _client(url: str, read_timeout: float) -> s3seal.S3Client:
    return s3seal.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="a",
        aws_secret_access_key="b",
        region_name="us-east-1",
        config=s3seal.Config(read_timeout=read_timeout, retries={"total_max_attempts": 1}),
    )


def _count_for(seconds: float, stop: threading.Event | None = None) -> int:
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and not (stop and stop.is_set()):
        n += 1
    return n


def test_other_threads_run_during_a_slow_call(silent_server: str) -> None:
    client = _client(silent_server, read_timeout=1.5)
    solo = _count_for(0.5)
    counted = []
    worker = threading.Thread(target=lambda: counted.append(_count_for(1.0)))
    worker.start()
    with pytest.raises(ReadTimeoutError):
        client.get_object(Bucket="b", Key="k")
    worker.join()
    # The loop got the GIL for most of the second it ran (it gets none if the call holds it).
    assert counted[0] > solo * 0.8


def test_eight_threads_beat_one(ministack, mbucket) -> None:
    """Calls wait with the GIL released: 8 threads have 8 requests in flight. Behind a proxy
    that holds every answer 20 ms (a distant server), so that what is measured is whether
    the calls overlap, not how fast ministack is on these cores (s3seal alone nearly
    saturates it from one thread)."""
    with FaultProxy(ministack.port, delay=0.02) as proxy:
        client = s3seal.client("s3", **{**ministack.client_kwargs(), "endpoint_url": proxy.url})
        body = os.urandom(4096)
        n = 48

        def put(i: int) -> None:
            client.put_object(Bucket=mbucket, Key=f"t/{i}", Body=body)

        start = time.perf_counter()
        for i in range(n):
            put(i)
        one = time.perf_counter() - start
        start = time.perf_counter()
        threads = [threading.Thread(target=lambda k=k: [put(i) for i in range(k, n, 8)]) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        eight = time.perf_counter() - start
    assert eight < one * 0.5, f"8 threads took {eight:.2f}s, 1 thread {one:.2f}s"


# The end of each Ctrl-C script: announce its pid, wait in a call that never gets an answer,
# report the interruption with exit code 42.
AWAIT_CTRL_C = textwrap.dedent(
    """
    print("ready", os.getpid(), flush=True)
    started = time.monotonic()
    try:
        client.get_object(Bucket="b", Key="k")
    except KeyboardInterrupt:
        print(f"interrupted after {time.monotonic() - started:.2f}", flush=True)
        os._exit(42)
    os._exit(1)
    """
)

CHILD = (
    textwrap.dedent(
        """
        import os, signal, sys, time, s3seal
        # Ctrl-C must work even if this child inherited SIGINT ignored (nohup, `&`).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        client = s3seal.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="a",
                               aws_secret_access_key="b", region_name="us-east-1")
        """
    )
    + AWAIT_CTRL_C
)


def _interrupt_waiting_call(proc: subprocess.Popen[str]) -> None:
    """Once the script's call waits, Ctrl-C to the pid it announced (itself, or a child it
    forked): it must report the interruption (exit 42) within 2 s. One that ignored it is
    killed, not left to wait out its read timeout."""
    assert proc.stdout is not None
    ready, pid = proc.stdout.readline().split()
    assert ready == "ready"
    target = int(pid)
    time.sleep(0.7)
    sent = time.monotonic()
    try:
        os.kill(target, signal.SIGINT)
        code = proc.wait(timeout=10)
    except BaseException:
        for stray in {target, proc.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(stray, signal.SIGKILL)
        raise
    elapsed = time.monotonic() - sent
    out = proc.stdout.read()
    assert code == 42, (out, proc.stderr.read() if proc.stderr else "")
    assert "interrupted" in out
    assert elapsed < 2.0


# A call drives a local runtime from its own thread while there is one per core free, else
# it runs as a task of the shared runtime: Ctrl-C must work both ways (the knob sends every
# call the second way).
@pytest.mark.parametrize("runs_as", ["local", "task"])
@pytest.mark.parametrize("inherited", ["default", "ignored"])
def test_ctrl_c_interrupts_a_waiting_call(silent_server: str, inherited: str, runs_as: str) -> None:
    env = dict(os.environ, S3SEAL_LOCAL_RUNTIMES="0" if runs_as == "task" else "1")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, silent_server],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=ignore_sigint if inherited == "ignored" else None,
    )
    _interrupt_waiting_call(proc)


OVERFLOW_CALLS = textwrap.dedent(
    """
    import json, multiprocessing, os, sys, s3seal

    def wake_ups():
        \"\"\"Voluntary context switches of s3seal's runtime threads, by thread name.\"\"\"
        out = {}
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/self/task/{task}/status") as f:
                status = f.read()
            if name.startswith("s3seal-"):
                switches = int(status.split("voluntary_ctxt_switches:")[1].split()[0])
                out[name] = out.get(name, 0) + switches
        return out

    client = s3seal.client("s3", **json.loads(sys.argv[1]))  # made on the shared runtime
    bucket = sys.argv[2]
    large = os.urandom(3 << 20)  # read by a task spawned beside its connection (>= 1 MiB)
    before = wake_ups()
    client.put_object(Bucket=bucket, Key="large", Body=large)
    for _ in range(20):
        client.put_object(Bucket=bucket, Key="small", Body=b"s" * 100)
        assert client.get_object(Bucket=bucket, Key="small")["Body"].read() == b"s" * 100
    assert client.get_object(Bucket=bucket, Key="large")["Body"].read() == large
    after = wake_ups()
    print(json.dumps({name: n - before.get(name, 0) for name, n in after.items()}))

    def child(queue):
        client.put_object(Bucket=bucket, Key="forked", Body=b"child")
        queue.put(client.get_object(Bucket=bucket, Key="forked")["Body"].read().decode())

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    proc.join(timeout=30)
    print(proc.exitcode, queue.get(timeout=5))
    """
)


def test_calls_past_the_local_runtimes_run_on_the_overflow_runtime(ministack, mbucket) -> None:
    """With no local runtime free (the knob makes that every call), a call runs on the
    overflow runtime: its own threads (the shared runtime's stay asleep), its own
    connections, kept between calls, bodies of any size read there, rebuilt after a fork."""
    env = dict(os.environ, S3SEAL_LOCAL_RUNTIMES="0")
    with FaultProxy(ministack.port) as proxy:
        kwargs = json.dumps({**ministack.client_kwargs(), "endpoint_url": proxy.url})
        done = subprocess.run(
            [sys.executable, "-c", OVERFLOW_CALLS, kwargs, mbucket],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        wake_ups, forked = done.stdout.splitlines()
        woken = json.loads(wake_ups)
        assert woken.get("s3seal-calls", 0) >= 42, woken
        assert woken.get("s3seal-worker", 0) <= 2, woken  # a stray timer at most
        # The parent's 42 calls one after another on one connection; the child its own.
        assert proxy.connections == 2
        assert forked == "0 child"


def test_forked_child_can_call(ministack, mbucket) -> None:
    client = s3seal.client("s3", **ministack.client_kwargs())
    client.put_object(Bucket=mbucket, Key="parent", Body=b"x")  # runtime and pool now in use
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def child() -> None:
        # The inherited client: its runtime and pool must be rebuilt, not reused.
        client.put_object(Bucket=mbucket, Key="forked", Body=b"from the child")
        queue.put(client.get_object(Bucket=mbucket, Key="forked")["Body"].read())

    proc = ctx.Process(target=child)
    proc.start()
    proc.join(timeout=30)
    assert proc.exitcode == 0
    assert queue.get(timeout=5) == b"from the child"
    # ... and the parent is unaffected.
    assert client.get_object(Bucket=mbucket, Key="forked")["Body"].read() == b"from the child"


FIRST_DATETIMES_AT_ONCE = textwrap.dedent(
    """
    import json, sys, threading, time, s3seal
    client = s3seal.client("s3", **json.loads(sys.argv[1]))
    client.put_object(Bucket=sys.argv[2], Key="when", Body=b"x")
    # No response with a date has been made yet: the first one imports `datetime`, and an
    # import releases the GIL (reading the module's files). Slowed down here, so that the
    # other threads' responses are converted meanwhile, every time.
    assert "datetime" not in sys.modules

    class SlowDatetime:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == "datetime":
                time.sleep(0.5)
            return None

    sys.meta_path.insert(0, SlowDatetime)
    start = threading.Barrier(16)

    def get():
        start.wait()
        client.get_object(Bucket=sys.argv[2], Key="when")["Body"].read()

    threads = [threading.Thread(target=get) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done")
    """
)


def test_first_dates_made_by_many_threads_at_once(ministack, mbucket) -> None:
    # Threads converting responses while the first datetime is made (a GIL-releasing
    # import) must not wait, holding the GIL, for a lock the importing thread holds.
    args = [sys.executable, "-c", FIRST_DATETIMES_AT_ONCE, json.dumps(ministack.client_kwargs())]
    done = subprocess.run([*args, mbucket], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "done", done.stderr


FORKED_FROM_A_THREAD = (
    textwrap.dedent(
        """
    import os, signal, sys, threading, time, s3seal
    signal.signal(signal.SIGINT, signal.default_int_handler)
    kwargs = dict(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    client = s3seal.client("s3", endpoint_url=sys.argv[1], **kwargs)
    closed = s3seal.client("s3", endpoint_url=sys.argv[2], **kwargs,
                           config=s3seal.Config(retries={"total_max_attempts": 1}))

    def in_a_thread():
        try:  # a call from this thread: s3seal now knows it is not the main thread
            closed.head_bucket(Bucket="b")
        except Exception:
            pass
        pid = os.fork()
        if pid:
            os._exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        # The child's one thread is a copy of this one, and Python's main thread now.
    """
    )
    + textwrap.indent(AWAIT_CTRL_C, "    ")
    + "\nthreading.Thread(target=in_a_thread).start()\n"
)


@pytest.mark.parametrize("runs_as", ["local", "task"])
def test_ctrl_c_reaches_a_child_forked_from_a_thread(silent_server: str, runs_as: str) -> None:
    """Which thread is the main one is remembered per thread, and asked again after a fork:
    in a child forked from a worker thread, that thread is Python's main thread and Ctrl-C
    must interrupt its call."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    env = dict(os.environ, S3SEAL_LOCAL_RUNTIMES="0" if runs_as == "task" else "1")
    proc = subprocess.Popen(
        [sys.executable, "-c", FORKED_FROM_A_THREAD, silent_server, closed_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _interrupt_waiting_call(proc)
