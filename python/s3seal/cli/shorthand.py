"""The AWS CLI's shorthand syntax for structure and list values (``Key=a,Value=b``,
``Tags=[{Key=a,Value=b}]``, ``a,b,c``), then coerced to the types of the model's shape.

A small recursive-descent parser; JSON values (``{...}`` / ``[...]``) do not come here.
"""

from __future__ import annotations

import json
from typing import Any

from s3seal.cli.common import UsageError


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str) -> UsageError:
        return UsageError(f"Error parsing parameter: Expected: {what}, received: {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def struct(self, closing: str = "") -> dict[str, Any]:
        result: dict[str, Any] = {}
        while self.pos < len(self.text) and self.peek() != closing:
            key = self._until("=").strip()
            if not key or self.peek() != "=":
                raise self.error("'='")
            self.pos += 1
            result[key] = self.value(closing)
            if self.peek() == ",":
                self.pos += 1
        return result

    def value(self, closing: str) -> Any:
        ch = self.peek()
        if ch == "[":
            self.pos += 1
            items = []
            while self.peek() != "]":
                if not self.peek():
                    raise self.error("']'")
                items.append(self.value("]"))
                if self.peek() == ",":
                    self.pos += 1
            self.pos += 1
            return items
        if ch == "{":
            self.pos += 1
            inner = self.struct("}")
            if self.peek() != "}":
                raise self.error("'}'")
            self.pos += 1
            return inner
        if ch in "\"'":
            end = self.text.index(ch, self.pos + 1) if ch in self.text[self.pos + 1 :] else -1
            if end < 0:
                raise self.error(f"closing {ch}")
            word = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return word
        return self._until("," + closing).strip()

    def _until(self, stops: str) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos]


def parse_structure(text: str) -> dict[str, Any]:
    parser = _Parser(text)
    result = parser.struct()
    if parser.pos != len(text):
        raise parser.error("end of value")
    return result


def parse_scalar_list(text: str) -> list[str]:
    return [str(v) for v in _Parser(f"[{text}]").value("")]


def coerce(value: Any, shape: Any) -> Any:
    """A parsed value with the model's scalar types: ints, floats, booleans; recursively."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: coerce(v, members[k]) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [coerce(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: coerce(v, shape.value) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    # A bad number raises int()'s ValueError, whose message the AWS CLI prints as it is.
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    if kind == "boolean":
        return value.lower() == "true"
    return value


def parse_complex(values: list[str], shape: Any) -> Any:
    """A structure, list or map argument from its command-line words: JSON, or shorthand."""
    text = " ".join(values)
    if text.lstrip()[:1] in ("{", "[") and not (shape.type_name == "list" and len(values) > 1):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise UsageError(f"Error parsing parameter: Invalid JSON: {e}\nJSON received: {text}") from None
    if shape.type_name == "list":
        member = shape.member
        if member.type_name in ("structure", "map"):
            return [coerce(parse_structure(v), member) for v in values]
        return [coerce(v, member) for word in values for v in parse_scalar_list(word)]
    return coerce(parse_structure(text), shape)
