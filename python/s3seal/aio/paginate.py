"""Async paginators (aiobotocore's ``AioPaginator``): the sync paginator's logic
(``s3seal.paginate``), with each page's request awaited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import jmespath

from s3seal.paginate import PageIterator, Paginator, Request


class AioPageIterator(PageIterator):
    """``async for page in paginator.paginate(...)``; ``search``, ``build_full_result``
    and ``result_key_iters`` as in aiobotocore. Each ``async for`` starts over."""

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._pages()

    async def _pages(self) -> AsyncIterator[dict[str, Any]]:
        # Drives the sync paginator's step generator, awaiting its requests.
        steps = self._steps()
        response = None
        while True:
            try:
                step = steps.send(response)
            except StopIteration:
                return
            if isinstance(step, Request):
                method: Any = self._method  # the async client's operation
                response = await method(**step.kwargs)
            else:
                response = None
                yield step

    def __iter__(self) -> Any:
        raise TypeError(f"{type(self).__name__} is async; use 'async for'")

    async def search(self, expression: str) -> AsyncIterator[Any]:  # type: ignore[override]
        """Apply a JMESPath expression to every page: list results are flattened."""
        compiled = jmespath.compile(expression)
        async for page in self:
            results = compiled.search(page)
            if isinstance(results, list):
                for result in results:
                    yield result
            else:
                yield results

    async def build_full_result(self) -> dict[str, Any]:  # type: ignore[override]
        """Every page merged: result keys concatenated, plus ``NextToken`` if stopped early."""
        complete_result: dict[str, Any] = {}
        async for page in self:
            self._add_to_full_result(complete_result, page)
        return self._finish_full_result(complete_result)

    def result_key_iters(self) -> list[Any]:  # type: ignore[override]
        """One async iterator per result key. Unlike the sync (teed) ones, each pages
        through the results again on its own."""
        return [_ResultKeyIterator(self, key) for key in self.result_keys]


class _ResultKeyIterator:
    def __init__(self, pages: AioPageIterator, result_key: Any) -> None:
        self._pages = pages
        self.result_key = result_key

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for page in self._pages:
            for item in self.result_key.search(page) or []:
                yield item


class AioPaginator(Paginator):
    """``s3.get_paginator(name)`` of the async client: ``paginate()`` is iterated with
    ``async for``."""

    PAGE_ITERATOR_CLS = AioPageIterator

    def paginate(self, **kwargs: Any) -> AioPageIterator:  # type: ignore[override]
        iterator = super().paginate(**kwargs)
        assert isinstance(iterator, AioPageIterator)
        return iterator

    @classmethod
    def like(cls, sync: Paginator) -> AioPaginator:
        """The async twin of a sync paginator (same operation method, config and model),
        in a class named as aiobotocore names it."""
        named = type(f"{type(sync).__name__}", (cls,), {"__module__": cls.__module__})
        twin: AioPaginator = object.__new__(named)
        twin.__dict__.update(sync.__dict__)
        return twin
