"""``--output table``: the AWS CLI's table layout (``awscli/table.py`` and its
``TableFormatter``, Apache-2.0), ported without colours: sections per nested structure,
scalars as header + row (or key | value when alone), lists of structures as rows under their
sorted keys, a table wider than the terminal turned vertical.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from typing import Any, TextIO


def _width(text: Any) -> int:
    # East Asian wide, fullwidth and ambiguous characters take two columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in str(text))


def _center(text: str, length: int, left: str = "|", right: str = "|") -> str:
    start = (length // 2) - (_width(text) // 2) - 1
    so_far = _width(left) + start + _width(text)
    return left + " " * start + text + " " * (length - _width(right) - so_far) + right


def _align_left(text: str, length: int, left: str, right: str, padding: int = 2) -> str:
    if length - (_width(text) + padding + len(left) + len(right)) < 0:
        padding = 0
    so_far = len(left) + padding + _width(text)
    return left + " " * padding + text + " " * (length - so_far - len(right)) + right


def _terminal_width() -> int:
    """stdout's terminal width, 80 when it is not a terminal (as the AWS CLI: not $COLUMNS)."""
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 80


class Section:
    def __init__(self, title: str = "", indent_level: int = 0) -> None:
        self.title = title
        self.indent_level = indent_level
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._max_widths: list[int] = []

    def _update_widths(self, row: list[str]) -> None:
        if not self._max_widths:
            self._max_widths = [_width(el) for el in row]
        else:
            self._max_widths = [max(_width(el), w) for el, w in zip(row, self._max_widths, strict=False)]

    def add_header(self, headers: list[str]) -> None:
        self._update_widths(headers)
        self.headers = headers

    def add_row(self, row: list[Any]) -> None:
        cells = [str(r) for r in row]
        self.rows.append(cells)
        self._update_widths(cells)

    def column_widths(self, padding: int = 0, max_width: int | None = None) -> list[int]:
        """Column widths, scaled to fill ``max_width`` exactly (awscli's rounding)."""
        widths = [w + padding for w in self._max_widths]
        if max_width is None or not widths:
            return widths
        scale = max_width / float(sum(widths))
        scaled = [round(scale * w) for w in widths]
        off_by = sum(scaled) - max_width
        while off_by != 0:
            order = range(len(scaled)) if off_by > 0 else reversed(range(len(scaled)))
            for i in order:
                step = -1 if off_by > 0 else 1
                scaled[i] += step
                off_by += step
                if off_by == 0:
                    break
        return scaled

    def total_width(self, padding: int, outer_padding: int) -> int:
        total = sum(w + padding for w in self.column_widths()) + 2 + 2 * outer_padding
        return max(_width(self.title) + 2 + 2 * outer_padding, total)


class _Indented:
    """Writes each line between ``indent`` bars on both sides (nested sections)."""

    def __init__(self, stream: TextIO, indent: int) -> None:
        self.stream, self.indent = stream, indent

    def write(self, text: str) -> None:
        self.stream.write("|" * self.indent)
        if text.endswith("\n"):
            self.stream.write(text[:-1] + "|" * self.indent + "\n")
        else:
            self.stream.write(text)


class MultiTable:
    def __init__(self) -> None:
        self.sections: list[Section] = []

    def new_section(self, title: str, indent_level: int = 0) -> None:
        self.sections.append(Section(title, indent_level))

    @property
    def current(self) -> Section:
        return self.sections[-1]

    def _max_width(self) -> int:
        return max(s.total_width(padding=4, outer_padding=s.indent_level) for s in self.sections)

    def render(self, stream: TextIO) -> None:
        max_width = self._max_width()
        if max_width > _terminal_width():
            self._make_vertical()
            max_width = self._max_width()
        stream.write("-" * max_width + "\n")
        for section in self.sections:
            out = _Indented(stream, section.indent_level)
            width = max_width - section.indent_level * 2
            self._render_title(section, width, out)
            self._render_headers(section, width, out)
            self._render_rows(section, width, out)

    def _make_vertical(self) -> None:
        # A single-row section becomes "header | value" rows.
        for i, section in enumerate(self.sections):
            if len(section.rows) == 1 and section.headers:
                vertical = Section(section.title, section.indent_level)
                for header, element in zip(section.headers, section.rows[0], strict=False):
                    vertical.add_row([header, element])
                self.sections[i] = vertical

    @staticmethod
    def _line_break(out: _Indented, widths: list[int]) -> None:
        parts = [
            ("+%s+" % ("-" * (w - 2))) if i == 0 else ("%s+" % ("-" * (w - 1))) for i, w in enumerate(widths)
        ]
        out.write("".join(parts) + "\n")

    def _render_title(self, section: Section, width: int, out: _Indented) -> None:
        if section.title:
            out.write(_center(section.title, width) + "\n")
            if not section.headers and not section.rows:
                out.write("+%s+" % ("-" * (width - 2)) + "\n")

    def _render_headers(self, section: Section, width: int, out: _Indented) -> None:
        if not section.headers:
            return
        widths = section.column_widths(padding=4, max_width=width)
        line = "".join(
            _center(h, w, "|" if i == 0 else "", "|")
            for i, (w, h) in enumerate(zip(widths, section.headers, strict=False))
        )
        self._line_break(out, widths)
        out.write(line + "\n")

    def _render_rows(self, section: Section, width: int, out: _Indented) -> None:
        if not section.rows:
            return
        widths = section.column_widths(padding=4, max_width=width)
        if not widths:
            return
        self._line_break(out, widths)
        for row in section.rows:
            cells = zip(widths, row, strict=False)
            out.write(
                "".join(_align_left(el, w, "|" if i == 0 else "", "|") for i, (w, el) in enumerate(cells))
                + "\n"
            )
        self._line_break(out, widths)


def _scalar(value: Any) -> bool:
    return not isinstance(value, (list, dict))


def _group_keys(current: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Sorted scalar keys, sorted nested keys."""
    return sorted(k for k, v in current.items() if _scalar(v)), sorted(
        k for k, v in current.items() if not _scalar(v)
    )


class TableBuilder:
    """awscli's ``TableFormatter._build_table`` over one response."""

    def __init__(self) -> None:
        self.table = MultiTable()

    def build(self, title: str | None, current: Any, indent: int = 0) -> bool:
        if not current:
            return False
        if title is not None:
            self.table.new_section(title, indent)
        if isinstance(current, list):
            if isinstance(current[0], dict):
                self._from_list(current, indent, title)
            else:
                for item in current:
                    if _scalar(item):
                        self.table.current.add_row([item])
                    elif all(_scalar(el) for el in item):
                        self.table.current.add_row(item)
                    else:
                        self.build(None, item)
        if isinstance(current, dict):
            self._from_dict(current, indent)
        return True

    def _from_dict(self, current: dict[str, Any], indent: int) -> None:
        headers, more = _group_keys(current)
        if len(headers) == 1:
            self.table.current.add_row([headers[0], current[headers[0]]])
        elif headers:
            self.table.current.add_header(headers)
            self.table.current.add_row([current[k] for k in headers])
        for key in more:
            self.build(key, current[key], indent + 1)

    def _from_list(self, current: list[Any], indent: int, title: str | None) -> None:
        headers: set[str] = set()
        more: set[str] = set()
        for item in current:
            h, m = _group_keys(item)
            headers.update(h)
            more.update(m)
        header_list, more_list = sorted(headers), sorted(more)
        self.table.current.add_header(header_list)
        for i, element in enumerate(current):
            if i > 0 and more_list:
                self.table.new_section(title or "", indent)
                self.table.current.add_header(header_list)
            self.table.current.add_row([element.get(h, "") for h in header_list])
            for key in more_list:
                if key in element:
                    self.build(key, element[key], indent + 1)


def format_table(response: Any, stream: TextIO, title: str) -> None:
    builder = TableBuilder()
    if builder.build(title, response):
        builder.table.render(stream)
