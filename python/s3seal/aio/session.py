"""``s3seal.aio.Session``: aioboto3's Session, on s3seal's Session for all resolution."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar, cast

from s3seal import session as sync_session
from s3seal.aio.client import AioS3Client

T = TypeVar("T")


class _Resolver(sync_session.Session):
    """s3seal's Session (profile, credentials, region, endpoint and CA resolution), building
    the async client."""

    client_class = AioS3Client


class ClientCreatorContext(Generic[T]):
    """What ``session.client('s3')`` returns, as in aioboto3: ``async with ... as s3`` (the
    client is closed on exit); ``await`` it for a client to close yourself."""

    def __init__(self, create: Callable[[], T]) -> None:
        self._create = create
        self._client: T | None = None

    async def __aenter__(self) -> T:
        self._client = self._create()
        return await self._client.__aenter__()  # type: ignore[attr-defined,no-any-return]

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._client is not None:
            await self._client.__aexit__(*exc_info)  # type: ignore[attr-defined]

    def __await__(self) -> Generator[Any, None, T]:
        async def create() -> T:
            return self._create()

        return create().__await__()


class Session:
    """aioboto3's ``Session``: boto3's arguments (credentials, region, profile); clients
    and resources are async context managers.

    Raises:
        ProfileNotFound: the profile is not in the shared config or credentials files.
    """

    def __init__(
        self,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        region_name: str | None = None,
        botocore_session: Any = None,
        profile_name: str | None = None,
        aws_account_id: str | None = None,
    ) -> None:
        self._session = _Resolver(
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            region_name=region_name,
            botocore_session=botocore_session,
            profile_name=profile_name,
            aws_account_id=aws_account_id,
        )

    @property
    def profile_name(self) -> str:
        return self._session.profile_name

    @property
    def region_name(self) -> str | None:
        return self._session.region_name

    def __repr__(self) -> str:
        return f"s3seal.aio.Session(region_name={self.region_name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The sync Session's rule: by profile and region, refused with explicit credentials.
        _, (profile, region) = self._session.__reduce__()
        return _rebuild, (profile, region)

    async def get_credentials(self) -> Any:
        """aioboto3's ``await session.get_credentials()``: the sync Session's credentials as
        aiobotocore's ``AioCredentials`` (``await creds.get_frozen_credentials()``), or None.
        Resolved in a worker thread: the chain may ask instance or container metadata."""
        from s3seal.credentials import AioCredentials

        resolved = await asyncio.get_running_loop().run_in_executor(None, self._session.get_credentials)
        if resolved is None:
            return None
        return resolved.copied_as(AioCredentials)

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> ClientCreatorContext[AioS3Client]:
        """``async with session.client('s3', endpoint_url=..., config=...) as s3:``, with
        boto3's ``client()`` arguments and s3seal's resolution of them."""

        def create() -> AioS3Client:
            return cast(AioS3Client, self._session.client(service_name, *args, **kwargs))

        return ClientCreatorContext(create)

    def resource(self, service_name: str, *args: Any, **kwargs: Any) -> ClientCreatorContext[Any]:
        """``async with session.resource('s3') as s3:``: aioboto3's resource API over an
        async client made with ``client()``'s arguments (``s3.meta.client``)."""
        from s3seal.aio.resources import create_resource

        return ClientCreatorContext(
            lambda: create_resource(self._session.client(service_name, *args, **kwargs))
        )


def _rebuild(profile_name: str | None, region_name: str | None) -> Session:
    return Session(profile_name=profile_name, region_name=region_name)
