"""Streaming the records of a JSON export without loading the file.

Accepted shapes: a top-level array of objects; an object whose ``tickets`` / ``results`` /
``rows`` / ``data`` member is that array (the Zendesk API and this app's own export); newline-
delimited JSON (one object per line, Zendesk's incremental export). Each record comes with the
line it starts on, so errors point into the file. Only one record (plus a read buffer) is held.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dtc_tui.i18n import _
from dtc_tui.services.importers.errors import EMPTY_FILE, ImportFailed, RowError

RECORD_KEYS = ("tickets", "results", "rows", "data", "records")
CHUNK = 1 << 20
MAX_RECORD_CHARS = 64 * CHUNK
_WHITESPACE = " \t\r\n"


class _Stream:
    def __init__(self, path: Path, name: str) -> None:
        self.handle = open(path, encoding="utf-8-sig")  # noqa: SIM115 - closed by close()
        self.name = name
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.consumed = 0  # characters dropped from the front of the buffer
        self.decoder = json.JSONDecoder()

    def close(self) -> None:
        self.handle.close()

    def fail(self, problem: str, line: int | None = None) -> ImportFailed:
        return ImportFailed([RowError(self.name, line or self.line, "file", problem)])

    def _fill(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = self.handle.read(CHUNK)
        except UnicodeDecodeError as exc:
            raise self.fail(_("not UTF-8 text ({reason})").format(reason=exc.reason)) from exc
        if not chunk:
            self.eof = True
            return False
        if self.pos > len(self.buf) // 2:
            self.consumed += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += chunk
        return True

    def _advance(self, to: int) -> None:
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                if self.buf[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            found = self.peek() or "end of file"
            raise self.fail(_("broken JSON: expected {expected!r}, found {found!r}").format(expected=char, found=found))
        self._advance(self.pos + 1)

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                result, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                too_big = len(self.buf) - self.pos > MAX_RECORD_CHARS
                if too_big or not self._fill():
                    line = self.line + self.buf.count("\n", self.pos, exc.pos)
                    raise self.fail(_("broken JSON: {reason}").format(reason=exc.msg), line) from exc
                continue
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not self.eof and isinstance(result, int | float) and self._fill():
                continue
            self._advance(end)
            return result


def iter_records(path: Path, name: str) -> Iterator[tuple[int, Any]]:
    """(line, record) for every record of the file, in order."""
    stream = _Stream(path, name)
    try:
        first = stream.peek()
        if first == "":
            raise stream.fail(_(EMPTY_FILE))
        if first == "[":
            yield from _array(stream)
        elif first == "{":
            yield from _object_or_lines(stream)
        else:
            raise stream.fail(_("not JSON: starts with {start!r}").format(start=first))
        if stream.peek() not in ("",):
            raise stream.fail(_("broken JSON: unexpected data after the end"))
    finally:
        stream.close()


def _array(stream: _Stream) -> Iterator[tuple[int, Any]]:
    stream.take("[")
    if stream.peek() == "]":
        stream.take("]")
        return
    while True:
        stream.peek()
        line = stream.line
        yield line, stream.value()
        after = stream.peek()
        if after == ",":
            stream.take(",")
        elif after == "]":
            stream.take("]")
            return
        else:
            raise stream.fail(
                _("broken JSON: expected ',' or ']', found {found!r}").format(found=after or "end of file")
            )


def _object_or_lines(stream: _Stream) -> Iterator[tuple[int, Any]]:
    """A wrapper object with a record array, or the first of newline-delimited objects."""
    line = stream.line
    stream.take("{")
    members: dict[str, Any] = {}
    found_array = False
    if stream.peek() != "}":
        while True:
            key = stream.value()
            if not isinstance(key, str):
                raise stream.fail(_("broken JSON: object key is not a string"))
            stream.take(":")
            if key in RECORD_KEYS and stream.peek() == "[" and not found_array:
                found_array = True
                yield from _array(stream)
            else:
                members[key] = stream.value()
            after = stream.peek()
            if after == ",":
                stream.take(",")
                continue
            break
    stream.take("}")
    if found_array:
        return
    yield line, members
    while stream.peek() == "{":  # newline-delimited JSON
        line = stream.line
        yield line, stream.value()


def header_members(path: Path, name: str) -> dict[str, Any]:
    """The wrapper's small members before the record array (e.g. this app's ``table``)."""
    stream = _Stream(path, name)
    members: dict[str, Any] = {}
    try:
        if stream.peek() != "{":
            return members
        stream.take("{")
        while stream.peek() == '"':
            key = stream.value()
            stream.take(":")
            if key in RECORD_KEYS:
                break
            members[key] = stream.value()
            if stream.peek() != ",":
                break
            stream.take(",")
    except ImportFailed:
        return members
    finally:
        stream.close()
    return members
