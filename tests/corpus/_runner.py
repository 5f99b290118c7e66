"""Run the corpus of public boto3 code with boto3, then with the import changed to s3seal.

Each corpus file (``tests/corpus/*.py`` not starting with ``_``) is upstream code kept as
written plus a driver section of ours: functions named ``corpus_<item>(ctx)``, one per corpus
item. A file may declare ``EXCLUDED = {"corpus_<item>": "reason"}`` for items boto3 itself
cannot run on ministack (they are listed, never run).

The s3seal run is what a user does: the source's ``import boto3`` lines become
``import s3seal as boto3`` (and ``from boto3 import X`` / ``from boto3.session import X``
become ``from s3seal import X`` / ``from s3seal.session import X``);
everything else (``from botocore.exceptions import ClientError``,
``from boto3.s3.transfer import TransferConfig``, ...) is left as written.

An item's outcome is: success or the exception (class name, and the error code of a
ClientError), the driver's return value and what the code printed, both normalised (bucket
names the run created, uuids, dates, signatures, request ids). s3seal passes an item when its
outcome equals boto3's.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import io
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent
SDKS = ("boto3", "s3seal")

_IMPORT = re.compile(r"^(\s*)import boto3\s*$", re.M)
_FROM = re.compile(r"^(\s*)from boto3 import ", re.M)
_FROM_SESSION = re.compile(r"^(\s*)from boto3\.session import ", re.M)


@dataclass(frozen=True)
class Item:
    file: str  # corpus file stem
    func: str  # corpus_<name>
    excluded: str | None  # why boto3 cannot run it on ministack
    region: str | None = None  # the file's CORPUS_REGION: the region its code expects

    @property
    def id(self) -> str:
        return f"{self.file}::{self.func[len('corpus_') :]}"


def items() -> list[Item]:
    """Every corpus item, found by reading the files (nothing is executed)."""
    found = []
    for path in sorted(CORPUS.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text())
        consts: dict[str, Any] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id in ("EXCLUDED", "CORPUS_REGION"):
                    consts[target.id] = ast.literal_eval(node.value)
        excluded: dict[str, str] = consts.get("EXCLUDED", {})
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("corpus_"):
                found.append(Item(path.stem, node.name, excluded.get(node.name), consts.get("CORPUS_REGION")))
    return found


def source_for(path: Path, sdk: str) -> str:
    source = path.read_text()
    if sdk == "s3seal":
        if not any(p.search(source) for p in (_IMPORT, _FROM, _FROM_SESSION)):
            raise AssertionError(f"{path.name}: no 'import boto3' line to change")
        source = _IMPORT.sub(r"\1import s3seal as boto3", source)
        source = _FROM.sub(r"\1from s3seal import ", source)
        source = _FROM_SESSION.sub(r"\1from s3seal.session import ", source)
    return source


class Ctx:
    """What a driver gets: fresh bucket names, a scratch directory, the endpoint."""

    def __init__(self, sdk: str, server_kwargs: dict[str, str], tmp: Path) -> None:
        self.sdk = sdk
        self.kwargs = dict(server_kwargs)
        self.endpoint_url = server_kwargs["endpoint_url"]
        self.access_key = server_kwargs["aws_access_key_id"]
        self.secret_key = server_kwargs["aws_secret_access_key"]
        self.region = server_kwargs["region_name"]
        self.tmp = tmp
        self.names: list[str] = []

    def name(self, prefix: str = "corpus-") -> str:
        """A fresh bucket name (not created), sorting after every name made before it: code
        that lists all buckets sees its own at the same place in both runs."""
        name = f"{prefix}{time.time_ns():x}{uuid.uuid4().hex[:6]}"
        self.names.append(name)
        return name

    def bucket(self, prefix: str = "corpus-") -> str:
        """A fresh bucket, created (by real boto3: setup, not what is under test)."""
        import boto3

        name = self.name(prefix)
        extra: dict[str, Any] = {}
        if self.region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        boto3.client("s3", **self.kwargs).create_bucket(Bucket=name, **extra)
        return name

    def seen(self, name: str) -> str:
        """Record a name the upstream code made up itself, to normalise it."""
        if name not in self.names:
            self.names.append(name)
        return name


@dataclass
class Outcome:
    ok: bool
    error: str | None = None
    value: Any = None
    stdout: str = ""
    trace: str = ""
    seconds: float = 0.0

    def key(self) -> tuple[Any, ...]:
        return (self.ok, self.error, self.value, self.stdout)


@dataclass
class Result:
    item: Item
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """excluded | boto3-fails | pass | fail"""
        if self.item.excluded:
            return "excluded"
        b, s = self.outcomes["boto3"], self.outcomes["s3seal"]
        if not b.ok:
            return "boto3-fails"
        return "pass" if b.key() == s.key() else "fail"

    def diff(self) -> str:
        b, s = self.outcomes["boto3"], self.outcomes["s3seal"]
        lines = []
        for name in ("ok", "error", "value", "stdout"):
            bv, sv = getattr(b, name), getattr(s, name)
            if bv != sv:
                lines.append(f"{name}:\n  boto3:  {bv!r}\n  s3seal: {sv!r}")
        if s.trace:
            lines.append("s3seal traceback:\n" + s.trace)
        return "\n".join(lines)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# An SSE-C key in base64 (32 bytes): redacted wherever a run's output or trace is kept, as
# the house rule wants for key material (the corpus's keys are public test keys, still).
_B64_KEY = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=")
_SUBS = [
    (_B64_KEY, "<key>"),
    (_UUID, "<uuid>"),
    (re.compile(r"datetime\.datetime\([^)]*\)\)?"), "<datetime>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\d{8}T\d{6}Z"), "<amzdate>"),
    (re.compile(r"\b\d{8}/[a-z0-9-]+/s3/aws4_request"), "<scope>"),
    (re.compile(r"(Signature|signature|Expires|Policy|policy)=[^&\s'\"]+"), r"\1=<sig>"),
    (re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT"), "<httpdate>"),
]
_VOLATILE_KEYS = {"RequestId", "HostId", "x-amz-request-id", "x-amz-id-2", "date", "VersionId", "UploadId"}


def normalise(value: Any, names: list[str]) -> Any:
    """The value with what differs between two runs of the same code replaced."""
    if isinstance(value, dict):
        return {
            normalise(k, names): "<volatile>" if k in _VOLATILE_KEYS else normalise(v, names)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(normalise(v, names) for v in value)
    if isinstance(value, datetime.datetime):
        return "<datetime>"
    if isinstance(value, str):
        for i, name in sorted(enumerate(names), key=lambda p: -len(p[1])):
            value = value.replace(name, f"<bucket{i}>")
        for pattern, repl in _SUBS:
            value = pattern.sub(repl, value)
        return value
    if isinstance(value, (bytes, int, float, bool, type(None))):
        return value
    return normalise(repr(value), names)


def _error_name(e: BaseException) -> str:
    name = type(e).__name__
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{name}({code}, {status})"
    return name


_ENV = {
    "AWS_ENDPOINT_URL": "endpoint_url",
    "AWS_ACCESS_KEY_ID": "aws_access_key_id",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
    "AWS_DEFAULT_REGION": "region_name",
}


# The SDKs' own log records (botocore's "Found credentials in environment variables", ...)
# are internals, not what the code prints: kept out of the compared output.
_SDK_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "s3seal")


@contextlib.contextmanager
def _logging() -> Iterator[None]:
    """Each run starts with the root logger as it was (a script's ``logging.basicConfig``
    binds a handler to the run's captured stdout), SDK loggers not propagating."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    sdk = {name: logging.getLogger(name).propagate for name in _SDK_LOGGERS}
    for name in _SDK_LOGGERS:
        logging.getLogger(name).propagate = False
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, propagate in sdk.items():
            logging.getLogger(name).propagate = propagate


@contextlib.contextmanager
def _environment(server_kwargs: dict[str, str]) -> Iterator[None]:
    """Point ``boto3.client('s3')`` (and s3seal's) with no arguments at the server: the
    adaptation to a local endpoint, without touching the code's calls."""
    import boto3
    import s3seal.session

    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update({k: server_kwargs[v] for k, v in _ENV.items()})
    boto3.DEFAULT_SESSION = None
    s3seal.session._default_session = None
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        boto3.DEFAULT_SESSION = None
        s3seal.session._default_session = None


def _stdout(module: types.ModuleType, out: io.StringIO, ctx: Ctx) -> str:
    """What the code printed, unless its file says its output is not comparable."""
    if not module.__dict__.get("CORPUS_COMPARE_STDOUT", True):
        return ""
    return str(normalise(out.getvalue(), ctx.names))


def run_once(item: Item, sdk: str, server_kwargs: dict[str, str]) -> Outcome:
    path = CORPUS / f"{item.file}.py"
    tmp = Path(tempfile.mkdtemp(prefix="s3seal-corpus-"))
    if item.region:
        server_kwargs = {**server_kwargs, "region_name": item.region}
    ctx = Ctx(sdk, server_kwargs, tmp)
    name = f"corpus_{item.file}_{sdk}"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    out = io.StringIO()
    start = time.perf_counter()
    sys.modules[name] = module
    cwd = os.getcwd()
    try:
        with _environment(server_kwargs), _logging(), contextlib.redirect_stdout(out):
            os.chdir(tmp)
            try:
                exec(compile(source_for(path, sdk), str(path), "exec"), module.__dict__)
                if sdk == "s3seal":
                    import boto3 as real
                    import boto3.session

                    leaked = [
                        k for k, v in module.__dict__.items() if v is real or v is boto3.session.Session
                    ]
                    assert not leaked, f"the s3seal run still uses boto3 through {leaked}"
                value = getattr(module, item.func)(ctx)
            except Exception as e:  # the outcome being compared
                return Outcome(
                    False,
                    _error_name(e),
                    stdout=_stdout(module, out, ctx),
                    trace=_B64_KEY.sub("<key>", traceback.format_exc(limit=-8)),
                    seconds=time.perf_counter() - start,
                )
        return Outcome(
            True,
            value=normalise(value, ctx.names),
            stdout=_stdout(module, out, ctx),
            seconds=time.perf_counter() - start,
        )
    finally:
        os.chdir(cwd)
        sys.modules.pop(name, None)
        shutil.rmtree(tmp, ignore_errors=True)


def run(item: Item, server_kwargs: dict[str, str]) -> Result:
    result = Result(item)
    if item.excluded:
        return result
    for sdk in SDKS:
        result.outcomes[sdk] = run_once(item, sdk, server_kwargs)
    return result


def summary(results: list[Result]) -> dict[str, Any]:
    counted = [r for r in results if r.status in ("pass", "fail")]
    passed = [r for r in counted if r.status == "pass"]
    return {
        "items": len(results),
        "excluded": sum(r.status == "excluded" for r in results),
        "boto3_fails": sum(r.status == "boto3-fails" for r in results),
        "boto3_passes": len(counted),
        "s3seal_passes": len(passed),
        "rate": len(passed) / len(counted) if counted else 0.0,
    }


def summary_line(results: list[Result]) -> str:
    s = summary(results)
    return (
        f"corpus pass rate: s3seal {s['s3seal_passes']}/{s['boto3_passes']} of the items boto3 runs "
        f"({100 * s['rate']:.1f}%); {s['excluded']} excluded, {s['boto3_fails']} unexpected boto3 failures"
    )
