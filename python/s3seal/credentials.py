"""``Session.get_credentials()``'s objects: botocore's ``Credentials`` and its frozen
``ReadOnlyCredentials``, resolved by the same chain a client signs with (the native core's).

When botocore is importable both subclass botocore's own classes, so ``isinstance`` checks
written for boto3 keep working; without botocore they are faithful copies.

Deliberate divergence from botocore: neither shows the secret key or the session token in
its repr, and neither can be pickled (the pickle would hold the secret); botocore's
ReadOnlyCredentials is a plain namedtuple whose repr shows both.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, NoReturn, TypeVar

try:  # pragma: no cover - depends on the environment
    from botocore.credentials import Credentials as _CredentialsBase
    from botocore.credentials import ReadOnlyCredentials as _ReadOnlyBase
except ImportError:  # pragma: no cover
    _ReadOnlyBase = namedtuple(  # type: ignore[no-redef,name-match]
        "ReadOnlyCredentials", ["access_key", "secret_key", "token", "account_id"]
    )

    class _CredentialsBase:  # type: ignore[no-redef]
        """botocore's Credentials, for when botocore is not installed."""

        def __init__(
            self,
            access_key: str | None,
            secret_key: str | None,
            token: str | None = None,
            method: str | None = None,
            account_id: str | None = None,
        ) -> None:
            self.access_key = access_key
            self.secret_key = secret_key
            self.token = token
            self.method = method if method is not None else "explicit"
            self.account_id = account_id

        def get_deferred_property(self, property_name: str) -> Any:
            def get_property() -> Any:
                return getattr(self, property_name, None)

            return get_property


_REDACTED = "<redacted>"
_C = TypeVar("_C", bound="Credentials")


def _refuse_pickle(what: str) -> NoReturn:
    raise TypeError(f"cannot pickle {what}: the pickle would hold the secret key")


class ReadOnlyCredentials(_ReadOnlyBase):  # type: ignore[misc,valid-type]
    """botocore's ``ReadOnlyCredentials`` namedtuple ``(access_key, secret_key, token,
    account_id)``; equal to the plain tuple of the same values. Its repr hides the secret
    and the token, and it refuses to pickle."""

    __slots__ = ()

    def __repr__(self) -> str:
        token = None if self.token is None else _REDACTED
        return (
            f"ReadOnlyCredentials(access_key={self.access_key!r}, secret_key={_REDACTED!r}, "
            f"token={token!r}, account_id={self.account_id!r})"
        )

    def __reduce__(self) -> NoReturn:
        _refuse_pickle("ReadOnlyCredentials")

    def __copy__(self) -> ReadOnlyCredentials:
        return self

    def __deepcopy__(self, memo: Any) -> ReadOnlyCredentials:
        return self


class Credentials(_CredentialsBase):  # type: ignore[misc,valid-type]
    """botocore's ``Credentials``: ``access_key``, ``secret_key``, ``token``, ``method``
    (where they were found: ``'explicit'``, ``'env'``, ``'shared-credentials-file'``,
    ``'config-file'``, ``'sso'``, ``'assume-role'``, ``'iam-role'``...), ``account_id`` and
    ``get_frozen_credentials()``.

    A snapshot of what the chain resolved when ``get_credentials()`` was called: temporary
    credentials (an assumed role, SSO, instance metadata) are not refreshed in it; call
    ``get_credentials()`` again for current ones. Clients resolve their own.
    """

    # The secret and the token live in slots behind properties, never in the instance's
    # __dict__ (which vars(), debuggers and generic dumpers show); botocore's __init__ sets
    # them through the properties.
    __slots__ = ("_secret_key", "_token")

    @property
    def secret_key(self) -> str | None:
        return self._secret_key

    @secret_key.setter
    def secret_key(self, value: str | None) -> None:
        self._secret_key = value

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return ReadOnlyCredentials(self.access_key, self.secret_key, self.token, self.account_id)

    def __repr__(self) -> str:
        return f"<s3seal.Credentials method={self.method!r} access_key={self.access_key!r}>"

    def __reduce__(self) -> NoReturn:
        _refuse_pickle("Credentials")

    def __copy__(self) -> Credentials:
        # Pickling is refused, so copy's default (which pickles by __reduce_ex__) would be.
        return self.copied_as(type(self))

    def copied_as(self, cls: type[_C]) -> _C:
        """The same values in a new ``cls`` object (a subclass: the async API's)."""
        copied = cls.__new__(cls)
        copied.__dict__.update(self.__dict__)
        copied.secret_key, copied.token = self.secret_key, self.token
        return copied

    def __deepcopy__(self, memo: Any) -> Credentials:
        return self.__copy__()  # every value is a str or None


class AioCredentials(Credentials):
    """aiobotocore's ``AioCredentials``, what ``await s3seal.aio.Session().get_credentials()``
    returns: the same values, with ``await get_frozen_credentials()``."""

    async def get_frozen_credentials(self) -> ReadOnlyCredentials:  # type: ignore[override]
        return Credentials.get_frozen_credentials(self)

    def __repr__(self) -> str:
        return f"<s3seal.AioCredentials method={self.method!r} access_key={self.access_key!r}>"
