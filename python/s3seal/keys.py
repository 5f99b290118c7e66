"""SSE-C customer keys: generate, load, pass to S3, and find which key opens an object.

With SSE-C, S3 stores no key and does not say which key encrypted an object: the caller
generates, keeps and tracks the keys. :class:`CustomerKey` holds one 256-bit key and hands it
to S3 in botocore's pass-through form (base64 key + base64 MD5, sent untouched, see
``docs/boto3-parity.md`` §1.2), so ``**key.params()`` works in every call and in the
``ExtraArgs`` of the managed transfers, with s3seal and with boto3 alike.
:class:`KeyRing` finds, among several keys, the one that opens a given object.

Limits of zeroization in Python, stated honestly: the key bytes live in one ``bytearray`` that
is overwritten with zeros by :meth:`CustomerKey.close` (and when the key is garbage-collected).
That removes the copy this module owns, nothing more. Immutable copies made along the way are
outside its reach: the base64 ``str`` that :attr:`CustomerKey.b64` and :meth:`CustomerKey.params`
return (and every request header built from it), the ``bytes`` a caller passed to
:meth:`CustomerKey.from_bytes`, the transient ``bytes`` that the CSPRNG returns in
:meth:`CustomerKey.generate` and that base64 decoding produces in
:meth:`CustomerKey.from_base64` / :meth:`CustomerKey.from_env`, and the environment itself.
Python strings and bytes cannot be wiped; they are freed, not cleared, when their last
reference goes. The native client copies the header values into its own requests. Swap and
core dumps are not addressed (no ``mlock``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

KEY_SIZE = 32  # AES256: the only algorithm SSE-C has
ALGORITHM = "AES256"
DEFAULT_ENV_PREFIX = "SSE_CUSTOMER_KEY"
KEY_TAG = "s3seal-key-md5"

# HEAD answers that mean "this key does not open this object" (S3: 403 for a wrong key,
# 400 when SSE-C headers are sent for an object stored without SSE-C, or none for one with).
_NOT_THIS_KEY = {"400", "403", "AccessDenied", "InvalidRequest", "InvalidArgument", "BadRequest"}


class CustomerKeyError(ValueError):
    """A key could not be loaded or checked. The message never contains key material."""


class NoMatchingKeyError(LookupError):
    """No key of a :class:`KeyRing` opens the object."""


def _md5_b64(raw: bytes | bytearray) -> str:
    # MD5 is what S3 uses as the key's integrity check, not a security property here.
    return base64.b64encode(hashlib.md5(raw, usedforsecurity=False).digest()).decode("ascii")


def _resolve_reference(kind: str, location: str, md5: str) -> CustomerKey:
    """Unpickle a key: load it again from its reference, and insist it is the same key.

    A worker whose environment or file holds a *different* key must fail here rather than
    encrypt objects with a key the sender never had.
    """
    key = CustomerKey.from_env(location) if kind == "env" else CustomerKey.from_file(location)
    if not hmac.compare_digest(key.md5, md5):
        key.close()
        raise CustomerKeyError(
            f"the key at {kind}:{location} here has MD5 {key.md5}, but the sender's key has MD5 "
            f"{md5}: refusing to use a different key than the one that was sent"
        )
    return key


class CustomerKey:
    """One SSE-C key (32 bytes, AES256).

    ``repr``/``str`` show the key's MD5 (its public fingerprint) and where it was loaded from,
    never the key. A key pickles only if it was loaded from a reference (an environment
    variable prefix or a file path): it then travels as that reference and the receiving
    process loads it itself, checking that its MD5 is the same. A key built from bytes or a
    base64 string refuses to pickle.
    """

    __slots__ = ("__weakref__", "_buf", "_md5", "_ref")

    def __init__(self, raw: bytearray, *, _ref: tuple[str, str] | None = None) -> None:
        """Take ownership of ``raw`` (zeroed on close); the ``from_*`` loaders are the API."""
        if not isinstance(raw, bytearray):
            raise TypeError("CustomerKey() takes a bytearray it then owns; use CustomerKey.from_bytes(...)")
        if len(raw) != KEY_SIZE:
            size = len(raw)
            raw[:] = bytes(size)
            raise CustomerKeyError(f"an SSE-C key is {KEY_SIZE} bytes (AES256); got {size} bytes")
        self._buf: bytearray | None = raw
        self._md5 = _md5_b64(raw)
        self._ref = _ref

    # -- loaders ---------------------------------------------------------------------------

    @classmethod
    def generate(cls) -> CustomerKey:
        """A new random key from the operating system's CSPRNG."""
        return cls(bytearray(secrets.token_bytes(KEY_SIZE)))

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> CustomerKey:
        """A key from its 32 raw bytes (copied: zeroing the caller's buffer is the caller's job)."""
        return cls(bytearray(raw))

    @classmethod
    def from_base64(cls, b64: str | bytes, md5: str | None = None) -> CustomerKey:
        """A key from its base64 form (the ``SSECustomerKey`` header value).

        Args:
            b64: The base64 of the 32 key bytes.
            md5: The base64 MD5 of the key bytes (``SSECustomerKeyMD5``); checked when given.

        Raises:
            CustomerKeyError: not base64, not 32 bytes, or the MD5 does not match.
        """
        return cls._checked(cls._decode(b64), md5, "the given key")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> CustomerKey:
        """A key from a file of exactly 32 raw bytes (what AWS CLI's ``fileb://`` reads).

        The key pickles as this path.
        """
        buf = bytearray(KEY_SIZE + 1)  # one spare byte tells a longer file apart
        # Unbuffered, so the bytes go straight into ``buf`` and nowhere else in this process.
        with open(path, "rb", buffering=0) as f:
            n = f.readinto(buf)
        if n != KEY_SIZE:
            buf[:] = bytes(len(buf))
            raise CustomerKeyError(
                f"{os.fspath(path)!s}: a key file holds exactly {KEY_SIZE} raw bytes "
                f"({f'more than {KEY_SIZE}' if (n or 0) > KEY_SIZE else n or 0} bytes found); "
                "a base64 key belongs in the environment (CustomerKey.from_env)"
            )
        del buf[KEY_SIZE]
        return cls(buf, _ref=("file", os.path.abspath(os.fspath(path))))

    @classmethod
    def from_env(
        cls, prefix: str = DEFAULT_ENV_PREFIX, environ: Mapping[str, str] | None = None
    ) -> CustomerKey:
        """A key from ``<prefix>_BASE64`` and, when set, ``<prefix>_MD5`` (checked).

        These are the names of a ``.env`` file as ``s3seal keygen`` writes it (and as the
        usual python-dotenv recipes read it). The key pickles as the prefix.

        Raises:
            CustomerKeyError: the variable is missing, malformed, or the MD5 does not match.
        """
        env = os.environ if environ is None else environ
        name = f"{prefix}_BASE64"
        if not env.get(name):
            raise CustomerKeyError(f"environment variable {name} is not set")
        key = cls._checked(cls._decode(env[name], name), env.get(f"{prefix}_MD5") or None, name)
        key._ref = ("env", prefix)
        return key

    @classmethod
    def from_reference(cls, spec: str) -> CustomerKey:
        """A key from a command-line reference: ``fileb://PATH`` or ``env:PREFIX``."""
        if spec.startswith("fileb://"):
            return cls.from_file(spec[len("fileb://") :])
        if spec.startswith("env:"):
            return cls.from_env(spec[len("env:") :])
        raise CustomerKeyError(
            "a key reference is fileb://PATH (32 raw bytes) or env:PREFIX (PREFIX_BASE64 and "
            "PREFIX_MD5 in the environment); the key itself is never given on a command line"
        )

    @staticmethod
    def _decode(b64: str | bytes, where: str = "the given key") -> bytearray:
        try:
            # Surrounding whitespace (a trailing newline from a file or a shell) is not the key.
            raw = base64.b64decode(b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            # The cause would quote the input: drop it.
            raise CustomerKeyError(f"{where} is not valid base64") from None
        return bytearray(raw)

    @classmethod
    def _checked(cls, raw: bytearray, md5: str | None, where: str) -> CustomerKey:
        key = cls(raw)
        if md5 is not None and not hmac.compare_digest(key.md5, md5.strip()):
            key.close()
            raise CustomerKeyError(
                f"MD5 mismatch for {where}: the key's MD5 is {key.md5}, expected {md5.strip()}"
            )
        return key

    # -- use -------------------------------------------------------------------------------

    @property
    def md5(self) -> str:
        """The base64 MD5 of the key (``SSECustomerKeyMD5``): public, safe to log."""
        return self._md5

    @property
    def b64(self) -> str:
        """The base64 key (``SSECustomerKey``): an ordinary ``str`` that cannot be zeroed."""
        return base64.b64encode(self._raw()).decode("ascii")

    @property
    def reference(self) -> str | None:
        """Where the key was loaded from (``env:PREFIX`` / ``fileb://PATH``), if anywhere."""
        if self._ref is None:
            return None
        kind, location = self._ref
        return f"env:{location}" if kind == "env" else f"fileb://{location}"

    @property
    def closed(self) -> bool:
        return self._buf is None

    def params(self) -> dict[str, str]:
        """``SSECustomerAlgorithm`` / ``SSECustomerKey`` / ``SSECustomerKeyMD5`` for any call or
        ``ExtraArgs``; the MD5 makes botocore (and s3seal) send both values untouched."""
        return {"SSECustomerAlgorithm": ALGORITHM, "SSECustomerKey": self.b64, "SSECustomerKeyMD5": self._md5}

    def copy_source_params(self) -> dict[str, str]:
        """The same for the source of a copy (``CopySourceSSECustomer*``)."""
        return {f"CopySource{name}": value for name, value in self.params().items()}

    def close(self) -> None:
        """Overwrite the key bytes with zeros; the key is unusable afterwards."""
        buf, self._buf = self._buf, None
        if buf is not None:
            buf[:] = bytes(len(buf))

    def _raw(self) -> bytearray:
        if self._buf is None:
            raise ValueError(f"customer key {self._md5} is closed")
        return self._buf

    def __enter__(self) -> CustomerKey:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Only for an attribute-complete object: __init__ may have raised before _buf was set.
        if getattr(self, "_buf", None) is not None:
            self.close()

    def __repr__(self) -> str:
        source = f" {self.reference}" if self._ref else ""
        state = " closed" if self._buf is None else ""
        return f"<CustomerKey md5={self._md5}{source}{state}>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CustomerKey):
            return NotImplemented
        return hmac.compare_digest(self._md5, other._md5)

    def __hash__(self) -> int:
        return hash(self._md5)

    def __reduce__(self) -> tuple[Any, ...]:
        if self._ref is None:
            raise TypeError(
                f"cannot pickle {self!r}: it holds raw key material, which would be written into "
                "the pickle. Load it with CustomerKey.from_env(...) or CustomerKey.from_file(...) "
                "so that it travels as a reference the receiving process resolves itself."
            )
        kind, location = self._ref
        return _resolve_reference, (kind, location, self._md5)

    # A key is an immutable value: copies are the same object (and never a pickle of the bytes).
    def __copy__(self) -> CustomerKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> CustomerKey:
        return self


def error_code(err: BaseException) -> str | None:
    """``err.response['Error']['Code']`` of a ClientError (s3seal's or botocore's), else None."""
    response = getattr(err, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code"))


def head_with(client: Any, key: CustomerKey, **target: Any) -> dict[str, Any] | None:
    """HEAD the object with ``key``: the response if the key opens it (S3 echoes its MD5),
    None if S3 answers that it is not this key.

    Raises the HEAD's error for anything else (a ``'404'``, a network error...).
    """
    try:
        head: dict[str, Any] = client.head_object(**target, **key.params())
    except Exception as err:
        if error_code(err) in _NOT_THIS_KEY:
            return None
        raise
    # A server that ignored the SSE-C headers (an object stored without SSE-C) echoes no MD5.
    return head if head.get("SSECustomerKeyMD5") == key.md5 else None


def opens(client: Any, key: CustomerKey, **target: Any) -> bool:
    """Whether ``key`` opens the object (see :func:`head_with`)."""
    return head_with(client, key, **target) is not None


def _target(Bucket: str, Key: str, VersionId: str | None) -> dict[str, str]:
    target = {"Bucket": Bucket, "Key": Key}
    if VersionId is not None:
        target["VersionId"] = VersionId
    return target


class KeyRing:
    """Several customer keys, and which one opens a given object.

    S3 does not say which key encrypted an object; :meth:`key_for` asks it with a HEAD per key
    (a wrong key gets a 403) and accepts a key only when S3 echoes its MD5. When the objects
    carry the ``s3seal-key-md5`` tag (:func:`record_key_tag`), ``use_tag=True`` tries the
    tagged key first, so a lookup usually costs two calls whatever the size of the ring.
    """

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterable[CustomerKey] = ()) -> None:
        self._keys: dict[str, CustomerKey] = {}
        for key in keys:
            self.add(key)

    @classmethod
    def of(cls, keys: KeyRing | CustomerKey | Iterable[CustomerKey]) -> KeyRing:
        """A ring from a ring, one key, or several keys."""
        if isinstance(keys, KeyRing):
            return keys
        return cls([keys] if isinstance(keys, CustomerKey) else keys)

    def add(self, key: CustomerKey) -> None:
        if not isinstance(key, CustomerKey):
            raise TypeError(f"a KeyRing holds CustomerKey objects, not {type(key).__name__}")
        self._keys.setdefault(key.md5, key)

    def get(self, md5: str) -> CustomerKey | None:
        """The key with this MD5, if the ring has it."""
        return self._keys.get(md5)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, CustomerKey) and key.md5 in self._keys

    def __iter__(self) -> Iterator[CustomerKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"<KeyRing md5s={list(self._keys)}>"

    def __reduce__(self) -> tuple[Any, ...]:
        # Each key pickles as its reference (or refuses to, with the reason).
        return KeyRing, (list(self._keys.values()),)

    def key_for(
        self,
        client: Any,
        *,
        Bucket: str,
        Key: str,
        VersionId: str | None = None,
        use_tag: bool = False,
    ) -> CustomerKey | None:
        """The key of this ring that opens the object, or None if none does.

        Raises:
            ClientError: the object does not exist (``'404'``), or S3 failed otherwise.
        """
        found = self.match(client, use_tag=use_tag, **_target(Bucket, Key, VersionId))
        return found[0] if found else None

    def match(
        self, client: Any, *, use_tag: bool = False, **target: Any
    ) -> tuple[CustomerKey, dict[str, Any]] | None:
        """The key that opens the object and the HEAD response it got, or None.

        ``target`` is HeadObject's parameters without the SSE-C ones (``Bucket``, ``Key``,
        optionally ``VersionId``, ``ChecksumMode``...).
        """
        for key in self._candidates(client, target, use_tag):
            head = head_with(client, key, **target)
            if head is not None:
                return key, head
        return None

    def params_for(
        self, client: Any, *, Bucket: str, Key: str, VersionId: str | None = None, use_tag: bool = False
    ) -> dict[str, str]:
        """``key_for(...).params()``, for ``**`` in a call or as ``ExtraArgs``.

        Raises:
            NoMatchingKeyError: no key of the ring opens the object.
        """
        key = self.key_for(client, Bucket=Bucket, Key=Key, VersionId=VersionId, use_tag=use_tag)
        if key is None:
            raise NoMatchingKeyError(f"no key of {self!r} opens s3://{Bucket}/{Key}")
        return key.params()

    def _candidates(self, client: Any, target: dict[str, Any], use_tag: bool) -> list[CustomerKey]:
        keys = list(self._keys.values())
        where = {k: v for k, v in target.items() if k in ("Bucket", "Key", "VersionId")}
        tagged = self.get(read_key_tag(client, **where) or "") if use_tag else None
        if tagged is not None:
            keys.remove(tagged)
            keys.insert(0, tagged)
        return keys


def read_key_tag(client: Any, **target: Any) -> str | None:
    """The ``s3seal-key-md5`` tag of an object, if it has one (tags need no SSE-C key)."""
    tags = client.get_object_tagging(**target).get("TagSet", [])
    return next((t["Value"] for t in tags if t["Key"] == KEY_TAG), None)


def record_key_tag(
    client: Any, key: CustomerKey, *, Bucket: str, Key: str, VersionId: str | None = None
) -> None:
    """Record ``key``'s MD5 in the object's ``s3seal-key-md5`` tag, keeping its other tags.

    Off unless called: the tag is readable by anyone who may read the object's tags, without
    the key. The MD5 of a random 256-bit key reveals nothing usable about the key, but it does
    tell which objects share a key. In exchange :meth:`KeyRing.key_for` with ``use_tag=True``
    finds the key in one tag read and one HEAD. The tag is a hint, never trusted alone: the
    HEAD still confirms the key.
    """
    target = _target(Bucket, Key, VersionId)
    tags = [t for t in client.get_object_tagging(**target).get("TagSet", []) if t["Key"] != KEY_TAG]
    tags.append({"Key": KEY_TAG, "Value": key.md5})
    client.put_object_tagging(**target, Tagging={"TagSet": tags})


# -- s3seal keygen -------------------------------------------------------------------------


def env_lines(key: CustomerKey, prefix: str = DEFAULT_ENV_PREFIX) -> str:
    """The ``.env`` lines of a key, in the form the usual python-dotenv recipes read."""
    return f"{prefix}_BASE64='{key.b64}'\n{prefix}_MD5='{key.md5}'\n"


def _write_new_file(path: str, data: bytes | bytearray) -> None:
    """Create ``path`` with mode 0600 and write ``data``; never replace an existing file.

    O_EXCL makes "refuse to overwrite" atomic (no check-then-create race), and the mode is
    given at creation so the key is never readable by others, even for an instant.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask may only remove bits; make the intent explicit
        os.write(fd, data)
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)


def main_keygen(argv: list[str] | None = None) -> int:
    """``s3seal keygen [--env] [--prefix NAME] [--out FILE] [--raw]``.

    Prints (or writes to FILE, created 0600, never overwritten) the ``.env`` lines of a new
    key; ``--raw --out key.bin`` writes the 32 raw bytes that ``fileb://key.bin`` reads.
    """
    import sys

    from s3seal.cli.common import CommandParser

    parser = CommandParser(prog="s3seal keygen", description="Generate an SSE-C customer key.")
    parser.add_argument("--env", action="store_true", help=".env lines (the default format)")
    parser.add_argument("--raw", action="store_true", help="the 32 raw bytes (needs --out)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE (created 0600, never overwritten)")
    parser.add_argument("--prefix", default=DEFAULT_ENV_PREFIX, help="variable name prefix for --env")
    args = parser.parse_args(argv)
    if args.raw and args.env:
        parser.error("--raw and --env are exclusive")
    if args.raw and not args.out:
        parser.error("--raw writes binary key bytes: give --out FILE")
    with CustomerKey.generate() as key:
        if not args.out:
            sys.stdout.write(env_lines(key, args.prefix))
            return 0
        data = key._raw() if args.raw else env_lines(key, args.prefix).encode("ascii")
        try:
            _write_new_file(args.out, data)
        except FileExistsError:
            print(f"s3seal keygen: {args.out} exists; refusing to overwrite a key file", file=sys.stderr)
            return 1
        print(f"wrote key md5={key.md5} to {args.out} (mode 0600)", file=sys.stderr)
    return 0
