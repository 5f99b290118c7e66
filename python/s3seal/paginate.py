"""Paginators: botocore's ``botocore/paginate.py``, ported, over ``paginators-1.json``.

The semantics are botocore's, line for line where it matters, so that code written against
boto3 paginates the same pages and items here: the opaque ``NextToken`` is botocore's base64
JSON (a token from boto3 resumes in s3seal and the other way round), ``MaxItems`` truncates
mid-page and records how far in ``boto_truncate_amount``, multi-part tokens
(ListObjectVersions' key and version-id markers) travel together.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from itertools import tee
from typing import Any

import jmespath

from s3seal.exceptions import PaginationError

Token = dict[str, Any]


class TokenEncoder:
    """Encodes a token dict into botocore's opaque string: base64 of its JSON, with any bytes
    values base64-encoded and their paths listed under ``boto_encoded_keys``."""

    def encode(self, token: Token) -> str:
        try:
            json_string = json.dumps(token)
        except (TypeError, UnicodeDecodeError):
            encoded_token, encoded_keys = self._encode(token, [])
            encoded_token["boto_encoded_keys"] = encoded_keys
            json_string = json.dumps(encoded_token)
        return base64.b64encode(json_string.encode("utf-8")).decode("utf-8")

    def _encode(self, data: Any, path: list[Any]) -> tuple[Any, list[list[Any]]]:
        if isinstance(data, dict):
            pairs = [(k, self._encode(v, [*path, k])) for k, v in data.items()]
            return {k: v for k, (v, _) in pairs}, [p for _, (_, paths) in pairs for p in paths]
        if isinstance(data, list):
            items = [self._encode(v, [*path, i]) for i, v in enumerate(data)]
            return [v for v, _ in items], [p for _, paths in items for p in paths]
        if isinstance(data, bytes):
            return base64.b64encode(data).decode("utf-8"), [path]
        return data, []


class TokenDecoder:
    """The inverse of :class:`TokenEncoder`."""

    def decode(self, token: str) -> Token:
        json_string = base64.b64decode(token.encode("utf-8")).decode("utf-8")
        decoded: Token = json.loads(json_string)
        encoded_keys = decoded.pop("boto_encoded_keys", None)
        for path in encoded_keys or ():
            container = decoded
            for step in path[:-1]:
                container = container[step]
            container[path[-1]] = base64.b64decode(container[path[-1]].encode("utf-8"))
        return decoded


def set_value_from_jmespath(source: dict[str, Any], expression: str, value: Any) -> None:
    """botocore.utils.set_value_from_jmespath: set a dotted path (no indexes or wildcards)."""
    if not expression or expression == "." or any(c in expression for c in "[]*"):
        raise ValueError(f"Invalid expression {expression}: Only dotted lookups are supported.")
    *parents, last = expression.split(".")
    for key in parents:
        if not key:
            raise ValueError(f"Invalid expression {expression}: Only dotted lookups are supported.")
        source = source.setdefault(key, {})
    source[last] = value


def merge_dicts(dict1: dict[str, Any], dict2: dict[str, Any]) -> None:
    """botocore.utils.merge_dicts (without list appending): dict2 into dict1, recursively."""
    for key, value in dict2.items():
        if isinstance(value, dict) and key in dict1:
            merge_dicts(dict1[key], value)
        else:
            dict1[key] = value


@dataclass(frozen=True)
class Request:
    """A step of :meth:`PageIterator._steps`: call the operation with these arguments."""

    kwargs: dict[str, Any]


class PageIterator:
    """An iterable of response pages (botocore's; not an iterator: ``iter()`` restarts)."""

    def __init__(
        self,
        method: Callable[..., dict[str, Any]],
        input_token: list[str],
        output_token: list[Any],
        more_results: Any,
        result_keys: list[Any],
        non_aggregate_keys: list[Any],
        limit_key: str | None,
        max_items: int | None,
        starting_token: str | None,
        page_size: int | str | None,
        op_kwargs: dict[str, Any],
    ) -> None:
        self._method = method
        self._input_token = input_token
        self._output_token = output_token
        self._more_results = more_results
        self._result_keys = result_keys
        self._max_items = max_items
        self._limit_key = limit_key
        self._starting_token = starting_token
        self._page_size = page_size
        self._op_kwargs = op_kwargs
        self._resume_token: str | None = None
        self._non_aggregate_key_exprs = non_aggregate_keys
        self._non_aggregate_part: dict[str, Any] = {}
        self._token_encoder = TokenEncoder()
        self._token_decoder = TokenDecoder()

    @property
    def result_keys(self) -> list[Any]:
        return self._result_keys

    @property
    def resume_token(self) -> str | None:
        """Token to give as ``StartingToken`` to resume where this iteration stopped."""
        return self._resume_token

    @resume_token.setter
    def resume_token(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise ValueError(f"Bad starting token: {value}")
        extra = ["boto_truncate_amount"] if "boto_truncate_amount" in value else []
        if sorted(self._input_token + extra) != sorted(value.keys()):
            raise ValueError(f"Bad starting token: {value}")
        self._resume_token = self._token_encoder.encode(value)

    @property
    def non_aggregate_part(self) -> dict[str, Any]:
        return self._non_aggregate_part

    def __iter__(self) -> Iterator[dict[str, Any]]:
        steps = self._steps()
        response = None
        while True:
            try:
                step = steps.send(response)
            except StopIteration:
                return
            if isinstance(step, Request):
                response = self._method(**step.kwargs)
            else:
                response = None
                yield step

    def _steps(self) -> Generator[Request | dict[str, Any], dict[str, Any] | None, None]:
        """The pagination logic, without I/O: yields a :class:`Request` for each call (the
        driver sends back its response) and each page to hand out. The sync ``__iter__`` and
        the async client's ``__aiter__`` drive it."""
        current_kwargs = self._op_kwargs
        previous_next_token = None
        next_token: Token = dict.fromkeys(self._input_token)
        if self._starting_token is not None:
            # The service's token must be on hand if the first page is truncated again.
            next_token = self._parse_starting_token()[0]
        total_items = 0
        first_request = True
        primary_result_key = self.result_keys[0]
        starting_truncation = 0
        self._inject_starting_params(current_kwargs)
        while True:
            parsed = yield Request(current_kwargs)
            assert parsed is not None
            if first_request:
                # A resumed token may point into the middle of the first page.
                if self._starting_token is not None:
                    starting_truncation = self._handle_first_request(parsed, primary_result_key)
                first_request = False
                self._record_non_aggregate_key_values(parsed)
            else:
                starting_truncation = 0
            num_current_response = len(primary_result_key.search(parsed) or [])
            truncate_amount = 0
            if self._max_items is not None:
                truncate_amount = total_items + num_current_response - self._max_items
            if truncate_amount > 0:
                self._truncate_response(
                    parsed, primary_result_key, truncate_amount, starting_truncation, next_token
                )
                yield parsed
                break
            yield parsed
            total_items += num_current_response
            next_token = self._get_next_token(parsed)
            if all(t is None for t in next_token.values()):
                break
            if self._max_items is not None and total_items == self._max_items:
                # On a page boundary: the service's next token is the resume token.
                self.resume_token = next_token
                break
            if previous_next_token is not None and previous_next_token == next_token:
                raise PaginationError(message=f"The same next token was received twice: {next_token}")
            self._inject_token_into_kwargs(current_kwargs, next_token)
            previous_next_token = next_token

    def search(self, expression: str) -> Iterator[Any]:
        """Apply a JMESPath expression to every page: list results are flattened."""
        compiled = jmespath.compile(expression)
        for page in self:
            results = compiled.search(page)
            if isinstance(results, list):
                yield from results
            else:
                yield results

    def _record_non_aggregate_key_values(self, response: dict[str, Any]) -> None:
        non_aggregate: dict[str, Any] = {}
        for expression in self._non_aggregate_key_exprs:
            set_value_from_jmespath(non_aggregate, expression.expression, expression.search(response))
        self._non_aggregate_part = non_aggregate

    def _inject_starting_params(self, op_kwargs: dict[str, Any]) -> None:
        if self._starting_token is not None:
            self._inject_token_into_kwargs(op_kwargs, self._parse_starting_token()[0])
        if self._page_size is not None:
            assert self._limit_key is not None  # Paginator.paginate refuses PageSize without one
            op_kwargs[self._limit_key] = self._page_size

    def _inject_token_into_kwargs(self, op_kwargs: dict[str, Any], next_token: Token) -> None:
        for name, token in next_token.items():
            # botocore: an old-style token may carry the string 'None' for "no value".
            if token is not None and token != "None":
                op_kwargs[name] = token
            elif name in op_kwargs:
                del op_kwargs[name]

    def _handle_first_request(self, parsed: dict[str, Any], primary_result_key: Any) -> int:
        starting_truncation: int = self._parse_starting_token()[1]
        all_data = primary_result_key.search(parsed)
        data = all_data[starting_truncation:] if isinstance(all_data, (list, str)) else None
        set_value_from_jmespath(parsed, primary_result_key.expression, data)
        # The secondary result keys were already returned with the page the token cut into.
        for token in self.result_keys:
            if token == primary_result_key:
                continue
            set_value_from_jmespath(parsed, token.expression, _empty_like(token.search(parsed)))
        return starting_truncation

    def _truncate_response(
        self,
        parsed: dict[str, Any],
        primary_result_key: Any,
        truncate_amount: int,
        starting_truncation: int,
        next_token: Token,
    ) -> None:
        original = primary_result_key.search(parsed) or []
        amount_to_keep = len(original) - truncate_amount
        set_value_from_jmespath(parsed, primary_result_key.expression, original[:amount_to_keep])
        # The index to resume at counts the items cut off the left of this page as well.
        next_token["boto_truncate_amount"] = amount_to_keep + starting_truncation
        self.resume_token = next_token

    def _get_next_token(self, parsed: dict[str, Any]) -> Token:
        if self._more_results is not None and not self._more_results.search(parsed):
            return {}
        # Empty strings are not tokens.
        return {
            input_key: output_token.search(parsed) or None
            for output_token, input_key in zip(self._output_token, self._input_token, strict=False)
        }

    def result_key_iters(self) -> list[ResultKeyIterator]:
        teed = tee(self, len(self.result_keys))
        return [ResultKeyIterator(i, key) for i, key in zip(teed, self.result_keys, strict=True)]

    def build_full_result(self) -> dict[str, Any]:
        """Every page merged: result keys concatenated, plus ``NextToken`` if stopped early."""
        complete_result: dict[str, Any] = {}
        for page in self:
            self._add_to_full_result(complete_result, page)
        return self._finish_full_result(complete_result)

    def _add_to_full_result(self, complete_result: dict[str, Any], page: dict[str, Any]) -> None:
        for expression in self.result_keys:
            _accumulate(complete_result, expression, expression.search(page))

    def _finish_full_result(self, complete_result: dict[str, Any]) -> dict[str, Any]:
        merge_dicts(complete_result, self.non_aggregate_part)
        if self.resume_token is not None:
            complete_result["NextToken"] = self.resume_token
        return complete_result

    def _parse_starting_token(self) -> tuple[Token, int]:
        assert self._starting_token is not None
        try:
            next_token = self._token_decoder.decode(self._starting_token)
            index = next_token.pop("boto_truncate_amount", 0)
        except (ValueError, TypeError):
            return self._parse_starting_token_deprecated()
        return next_token, index

    def _parse_starting_token_deprecated(self) -> tuple[Token, int]:
        """botocore's pre-base64 tokens: ``'marker1___marker2___index'``."""
        assert self._starting_token is not None
        parts = self._starting_token.split("___")
        index = 0
        if len(parts) == len(self._input_token) + 1:
            try:
                index = int(parts.pop())
            except ValueError:
                # Not an old-style token: an opaque service token.
                parts = [self._starting_token]
        values: list[str | None] = [None if part == "None" else part for part in parts]
        if len(values) > len(self._input_token):
            raise ValueError(f"Bad starting token: {self._starting_token}")
        values += [None] * (len(self._input_token) - len(values))
        return dict(zip(self._input_token, values, strict=True)), index


def _empty_like(sample: Any) -> Any:
    """What a secondary result key becomes on a resumed first page (botocore's choice)."""
    if isinstance(sample, list):
        return []
    if isinstance(sample, str):
        return ""
    if isinstance(sample, (int, float)):
        return sample
    return None


def _accumulate(complete: dict[str, Any], expression: Any, value: Any) -> None:
    """Add one page's value of a result key to the full result (lists extend, scalars add)."""
    if value is None:
        return
    existing = expression.search(complete)
    if existing is None:
        set_value_from_jmespath(complete, expression.expression, value)
    elif isinstance(value, list):
        existing.extend(value)
    elif isinstance(value, (int, float, str)):
        set_value_from_jmespath(complete, expression.expression, existing + value)


class Paginator:
    """``client.get_paginator(name)``: ``paginate(**kwargs)`` returns a :class:`PageIterator`."""

    PAGE_ITERATOR_CLS = PageIterator

    def __init__(self, method: Callable[..., dict[str, Any]], pagination_config: dict[str, Any], model: Any):
        self._model = model
        self._method = method
        self._pagination_cfg = pagination_config
        self._output_token = [jmespath.compile(t) for t in _as_list(pagination_config["output_token"])]
        self._input_token: list[str] = _as_list(pagination_config["input_token"])
        more_results = pagination_config.get("more_results")
        self._more_results = jmespath.compile(more_results) if more_results is not None else None
        self._non_aggregate_keys = [
            jmespath.compile(k) for k in pagination_config.get("non_aggregate_keys", [])
        ]
        result_key = pagination_config.get("result_key")
        self._result_keys = (
            [jmespath.compile(k) for k in _as_list(result_key)] if result_key is not None else None
        )
        self._limit_key: str | None = pagination_config.get("limit_key")

    @property
    def result_keys(self) -> list[Any] | None:
        return self._result_keys

    def paginate(self, **kwargs: Any) -> PageIterator:
        """Iterate over the operation's pages; ``PaginationConfig`` takes ``MaxItems``,
        ``PageSize`` and ``StartingToken``, every other argument goes to the operation."""
        page_params = self._extract_paging_params(kwargs)
        return self.PAGE_ITERATOR_CLS(
            self._method,
            self._input_token,
            self._output_token,
            self._more_results,
            self._result_keys or [],
            self._non_aggregate_keys,
            self._limit_key,
            page_params["MaxItems"],
            page_params["StartingToken"],
            page_params["PageSize"],
            kwargs,
        )

    def _extract_paging_params(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        pagination_config = kwargs.pop("PaginationConfig", {})
        max_items = pagination_config.get("MaxItems", None)
        if max_items is not None:
            max_items = int(max_items)
        page_size = pagination_config.get("PageSize", None)
        if page_size is not None:
            if self._limit_key is None:
                raise PaginationError(
                    message="PageSize parameter is not supported for the "
                    "pagination interface for this operation."
                )
            # The limit parameter's own type: a string for some services, an int for S3.
            limit_shape = self._model.input_shape.members.get(self._limit_key)
            page_size = str(page_size) if limit_shape.type_name == "string" else int(page_size)
        return {
            "MaxItems": max_items,
            "StartingToken": pagination_config.get("StartingToken", None),
            "PageSize": page_size,
        }


class ResultKeyIterator:
    """The items of one result key, across the pages."""

    def __init__(self, pages_iterator: Any, result_key: Any) -> None:
        self._pages_iterator = pages_iterator
        self.result_key = result_key

    def __iter__(self) -> Iterator[Any]:
        for page in self._pages_iterator:
            yield from self.result_key.search(page) or []


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
