"""``client.meta.events``: botocore's hierarchical event system, for the events s3seal fires.

Handlers register on botocore's names (``before-call.s3.PutObject``, ``before-sign.s3.*``,
``after-call``) with botocore's ordering (``register_first`` / ``register_last``, the more
specific names' handlers first, as botocore's prefix trie orders them) and ``unique_id``.

s3seal fires, for every operation: ``provide-client-params``, ``before-parameter-build``,
``before-call`` (the request dict: ``url_path``, ``query_string``, ``method``, ``headers``,
``body``, ``url``, ``context``), ``before-sign`` and ``before-send`` (the request, whose
``headers`` handlers may change), ``after-call`` (``http_response``, ``parsed``, ``model``,
``context``) and ``after-call-error``. Every request of the transfer engine (each part,
range and copy part, as s3transfer's client calls) fires them too, with that request's
parameters (``after-call`` without the streamed body of a GET). Registering any other event raises
:class:`UnsupportedEventError`: a handler that silently never runs could, say, leave data
unencrypted that its author meant encrypted. With nothing registered, calls skip all of this.
"""

from __future__ import annotations

import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import Any

FIRED = (
    "provide-client-params",
    "before-parameter-build",
    "before-call",
    "before-sign",
    "before-send",
    "after-call",
    "after-call-error",
)
# The events that need the native request path to call back into Python.
REQUEST_EVENTS = ("before-call", "before-sign", "before-send")


class UnsupportedEventError(ValueError):
    """A handler was registered for an event s3seal never fires."""


def _check(event_name: str) -> None:
    from s3seal._ops import OPERATION_NAMES

    parts = event_name.split(".")
    operations = set(OPERATION_NAMES.values())
    ok = (
        parts[0] in FIRED
        and len(parts) <= 3
        and (len(parts) < 2 or parts[1] in ("s3", "*"))
        and (len(parts) < 3 or parts[2] in operations or parts[2] == "*")
    )
    if not ok:
        raise UnsupportedEventError(
            f"s3seal does not fire {event_name!r}: a handler registered for it would never run. "
            f"s3seal fires {', '.join(FIRED)} (as '<event>', '<event>.s3' or "
            "'<event>.s3.<OperationName>', '*' allowed)."
        )


class _Node:
    __slots__ = ("children", "first", "last", "middle")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.first: list[Callable[..., Any]] = []
        self.middle: list[Callable[..., Any]] = []
        self.last: list[Callable[..., Any]] = []


class _PrefixTrie:
    """botocore's ``_PrefixTrie``: handlers by dotted event name, with ``*`` wildcards."""

    def __init__(self) -> None:
        self._root = _Node()

    def append(self, key: str, handler: Callable[..., Any], section: str) -> None:
        node = self._root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        getattr(node, section).append(handler)

    def remove(self, key: str, handler: Callable[..., Any]) -> None:
        node: _Node | None = self._root
        for part in key.split("."):
            node = node.children.get(part) if node is not None else None
        if node is None:
            return
        for section in (node.first, node.middle, node.last):
            if handler in section:
                section.remove(handler)
                return

    def prefix_search(self, key: str) -> list[Callable[..., Any]]:
        collected: deque[Callable[..., Any]] = deque()
        parts = key.split(".")
        stack = [(self._root, 0)]
        while stack:
            node, index = stack.pop()
            ordered = node.first + node.middle + node.last
            collected.extendleft(reversed(ordered))
            if index == len(parts):
                continue
            wildcard, direct = node.children.get("*"), node.children.get(parts[index])
            if wildcard is not None:
                stack.append((wildcard, index + 1))
            if direct is not None:
                stack.append((direct, index + 1))
        return list(collected)


class EventHooks:
    """botocore's ``HierarchicalEmitter`` API, on the events s3seal fires."""

    def __init__(self, on_change: Callable[[EventHooks], None]) -> None:
        self._trie = _PrefixTrie()
        self._unique: dict[str, tuple[Callable[..., Any], int]] = {}
        self._names: dict[str, int] = {}
        self._on_change = on_change

    def register(
        self,
        event_name: str,
        handler: Callable[..., Any],
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        self._register(event_name, handler, unique_id, unique_id_uses_count, "middle")

    def register_first(
        self,
        event_name: str,
        handler: Callable[..., Any],
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        self._register(event_name, handler, unique_id, unique_id_uses_count, "first")

    def register_last(
        self,
        event_name: str,
        handler: Callable[..., Any],
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        self._register(event_name, handler, unique_id, unique_id_uses_count, "last")

    def _register(
        self, event_name: str, handler: Callable[..., Any], unique_id: Any, uses_count: bool, section: str
    ) -> None:
        _check(event_name)
        if not callable(handler):
            raise ValueError(f"Event handler {handler} must be callable.")
        if unique_id is not None:
            if unique_id in self._unique:
                existing, count = self._unique[unique_id]
                if uses_count:
                    self._unique[unique_id] = (existing, count + 1)
                return
            self._unique[unique_id] = (handler, 1)
        self._trie.append(event_name, handler, section)
        self._names[event_name] = self._names.get(event_name, 0) + 1
        self._on_change(self)

    def unregister(
        self,
        event_name: str,
        handler: Callable[..., Any] | None = None,
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        if unique_id is not None:
            if unique_id not in self._unique:
                return
            found, count = self._unique[unique_id]
            if unique_id_uses_count and count > 1:
                self._unique[unique_id] = (found, count - 1)
                return
            del self._unique[unique_id]
            handler = found
        if handler is None:
            return
        self._trie.remove(event_name, handler)
        if self._names.get(event_name):
            self._names[event_name] -= 1
        self._on_change(self)

    def emit(self, event_name: str, **kwargs: Any) -> list[tuple[Callable[..., Any], Any]]:
        kwargs["event_name"] = event_name
        return [(handler, handler(**kwargs)) for handler in self._trie.prefix_search(event_name)]

    def emit_until_response(self, event_name: str, **kwargs: Any) -> tuple[Callable[..., Any] | None, Any]:
        for handler, response in self.emit(event_name, **kwargs):
            if response is not None:
                return handler, response
        return None, None

    def listening(self, events: tuple[str, ...] = FIRED) -> bool:
        """Whether any handler is registered for one of ``events``."""
        return any(count and name.split(".")[0] in events for name, count in self._names.items())


class AWSRequest:
    """What ``before-sign`` / ``before-send`` handlers get: ``method``, ``url``, ``headers``
    (change them to change the request), ``body``."""

    def __init__(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> None:
        self.method, self.url, self.headers, self.body = method, url, headers, body

    def __repr__(self) -> str:
        return f"<AWSRequest method={self.method} url={self.url.split('?')[0]}>"


class HTTPResponse:
    """What ``after-call`` handlers get as ``http_response``."""

    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code, self.headers = status_code, headers


def request_dict(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
    """botocore's request dict (``before-call``'s ``params``)."""
    split = urllib.parse.urlsplit(url)
    return {
        "url_path": split.path,
        "query_string": dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
        "method": method,
        "headers": headers,
        "body": body or b"",
        "url": url,
        "context": {},
    }
