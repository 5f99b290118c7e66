"""The async client's operations: a coroutine per entry of the one op table.

They are made here, at import, from ``s3seal._ops.OPERATION_NAMES`` (the table
tools/gen_model.py generates from the model), so the async client has exactly the sync
client's operations and no method is written twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from s3seal._ops import OPERATION_NAMES


def _operation(name: str, method: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def call(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args:
            raise TypeError(f"{method}() only accepts keyword arguments.")
        return await self._make_api_call(name, kwargs)  # type: ignore[no-any-return]

    call.__name__ = call.__qualname__ = method
    call.__doc__ = f"aioboto3's ``await client.{method}(...)``: the S3 ``{name}`` operation."
    return call


class AsyncOperations:
    """A coroutine method per S3 operation, generated from the model's op table."""


for _method, _name in OPERATION_NAMES.items():
    setattr(AsyncOperations, _method, _operation(_name, _method))
