"""Async waiters (aiobotocore's ``AIOWaiter``): the sync waiter's logic
(``s3seal.waiter.WaitAttempts``), with each call awaited and each delay an
``asyncio.sleep``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from s3seal.exceptions import ClientError
from s3seal.waiter import WaitAttempts, Waiter, WaiterModel, create_waiter


class AioNormalizedOperationMethod:
    """The awaited operation, with a ClientError turned into its error response."""

    def __init__(self, client_method: Callable[..., Awaitable[dict[str, Any]]]) -> None:
        self._client_method = client_method

    async def __call__(self, **kwargs: Any) -> dict[str, Any]:
        try:
            return await self._client_method(**kwargs)
        except ClientError as e:
            return e.response  # type: ignore[no-any-return,attr-defined]


class AioWaiter(Waiter):
    """``await s3.get_waiter(name).wait(**kwargs, WaiterConfig={...})``."""

    async def wait(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """Wait; the response that met the success state is returned, as aiobotocore's
        ``AIOWaiter.wait`` does (botocore's sync waiter returns None)."""
        attempts = WaitAttempts(self, kwargs)
        while True:
            response = await self._operation_method(**attempts.kwargs)
            if attempts.done(response):
                return response
            await asyncio.sleep(attempts.sleep_amount)


def create_aio_waiter(client: Any, waiter_name: str) -> AioWaiter:
    """The async client's waiter (``ValueError`` for an unknown name, as the sync one)."""
    from s3seal._data import WAITER_NAMES, WAITERS

    if waiter_name not in WAITER_NAMES:
        raise ValueError(f"Waiter does not exist: {waiter_name}")
    waiter = create_waiter(
        WAITER_NAMES[waiter_name], WaiterModel(WAITERS), client, AioWaiter, AioNormalizedOperationMethod
    )
    assert isinstance(waiter, AioWaiter)
    return waiter
