"""The notation's tokens and a cursor over them, shared by the stack grammar (`notation`) and the
per-kind layer parsers (`layers`)."""

from __future__ import annotations

import re

from app.arch.errors import NotationError, quoted

MAX_DIGITS = 12  # larger than any limit; longer numbers are refused before int() sees them
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<word>[A-Za-z]+)|(?P<sym>[(),/+|:×]))")


class Tokens:
    """(kind, value, position) triples; words lower-cased; positions are 0-based offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match:
                offset = len(text[pos:]) - len(text[pos:].lstrip())
                raise NotationError(f"unexpected character {text[pos + offset]!r}", pos + offset, text)
            kind = match.lastgroup or ""
            value = match.group(kind)
            self.items.append((kind, value.lower() if kind == "word" else value, match.start(kind)))
            pos = match.end()
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        if self.i < len(self.items):
            return self.items[self.i]
        return ("end", "", len(self.text))

    def previous(self) -> str:
        return self.items[self.i - 1][1]

    def fail(self, expected: str) -> NotationError:
        kind, value, position = self.peek()
        found = "end of input" if kind == "end" else quoted(value)
        return NotationError(f"expected {expected}, found {found}", position, self.text)

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] != "num":
            self.i += 1
            return True
        return False

    def expect(self, value: str, what: str) -> None:
        if not self.accept(value):
            raise self.fail(what)

    def integer(self, what: str) -> int:
        kind, value, _ = self.peek()
        if kind != "num" or "." in value:
            raise self.fail(what)
        if len(value) > MAX_DIGITS:
            raise self.fail(f"{what} of at most {MAX_DIGITS} digits")
        self.i += 1
        return int(value)

    def decimal(self, what: str) -> float:
        kind, value, _ = self.peek()
        if kind != "num" or len(value) > 2 * MAX_DIGITS:
            raise self.fail(what)
        self.i += 1
        return float(value)
