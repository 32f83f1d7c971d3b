"""The paper's layer notation (Table 1 of He & Sun, 2015), parsed and printed.

    (s,n)            conv, filter size s, n filters, "same" padding, stride 1
    (s,n)/t          ... stride t
    (s,n)x k         ... k times, weights not shared (also "×")
    (s,n) valid      ... unpadded (the paper's conv1: "(7,64)/2 valid")
    (s,n) pad p      ... p pixels each side; "pad t:b:l:r" for top, bottom, left, right
    (s,n) groups g   ... grouped convolution
    pool s, pool s/t max pool (stride defaults to the size: "pool 3" is 3x3 with stride 3)
    avgpool s/t      average pool; both take "pad p"
    spp(6,3,2,1)     spatial pyramid (max) pooling, then flatten
    gap              global average pooling, then flatten
    fc n             fully connected; "fc n drop 0.5" adds dropout before it

Items are joined by "+" or ","; "|" separates stages and is cosmetic (the printer puts one after
every pooling layer). `format_spec(parse(text))` is canonical and `parse(format_spec(s)) == s`.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from app.arch.errors import NotationError, SpecError
from app.arch.spec import FC, SPP, Conv, GlobalAvgPool, InputShape, Pool, Spec, compact

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<word>[A-Za-z]+)|(?P<sym>[(),/+|:×]))")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []  # (kind, value, position)
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
            self.tokens.append((kind, value.lower() if kind == "word" else value, match.start(kind)))
            pos = match.end()
        self.i = 0

    # -- token helpers --------------------------------------------------------------------
    def peek(self) -> tuple[str, str, int]:
        if self.i < len(self.tokens):
            return self.tokens[self.i]
        return ("end", "", len(self.text))

    def fail(self, expected: str) -> NotationError:
        kind, value, position = self.peek()
        found = "end of input" if kind == "end" else repr(value)
        return NotationError(f"expected {expected}, found {found}", position, self.text)

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] != "num":
            self.i += 1
            return True
        return False

    def expect(self, value: str, what: str) -> None:
        if not self.accept(value):
            raise self.fail(what)

    def number(self, what: str, integer: bool = True) -> float | int:
        kind, value, _ = self.peek()
        if kind != "num" or (integer and "." in value):
            raise self.fail(what)
        self.i += 1
        return int(value) if integer else float(value)

    # -- grammar --------------------------------------------------------------------------
    def stack(self) -> list[dict]:
        items = [self.item()]
        while self.peek()[0] != "end":
            if not (self.accept("+") or self.accept(",") or self.accept("|")):
                raise self.fail("'+', ',' or '|' between layers")
            items.append(self.item())
        return items

    def item(self) -> dict:
        start = self.peek()[2]
        if self.accept("("):
            layer = self.conv()
        elif self.peek()[1] in ("pool", "maxpool", "avgpool"):
            layer = self.pool()
        elif self.accept("spp"):
            self.expect("(", "'(' after spp")
            levels = [self.number("a pyramid level")]
            while self.accept(","):
                levels.append(self.number("a pyramid level"))
            self.expect(")", "')' closing the spp levels")
            layer = {"type": "spp", "levels": levels}
        elif self.accept("gap"):
            layer = {"type": "gap"}
        elif self.accept("fc"):
            layer = {"type": "fc", "units": self.number("the number of fc units")}
            if self.accept("drop"):
                layer["dropout"] = self.number("a dropout rate such as 0.5", integer=False)
        else:
            raise self.fail("a layer: '(size,filters)', 'pool', 'avgpool', 'spp(...)', 'gap' or 'fc'")
        layer["_position"] = start
        return layer

    def conv(self) -> dict:
        layer: dict = {"type": "conv", "size": self.number("the filter size after '('")}
        self.expect(",", "',' between filter size and number of filters")
        layer["filters"] = self.number("the number of filters")
        self.expect(")", "')' after the number of filters")
        if self.accept("/"):
            layer["stride"] = self.number("a stride after '/'")
        if self.accept("x") or self.accept("×"):
            layer["repeat"] = self.number("a repeat count after 'x'")
        while True:
            if self.accept("valid") or self.accept("same"):
                layer["padding"] = self.tokens[self.i - 1][1]
            elif self.accept("pad"):
                layer["padding"] = self.padding()
            elif self.accept("groups"):
                layer["groups"] = self.number("a group count after 'groups'")
            else:
                return layer

    def pool(self) -> dict:
        word = self.peek()[1]
        self.i += 1
        layer: dict = {"type": "avgpool" if word == "avgpool" else "maxpool"}
        layer["size"] = self.number(f"a window size after '{word}'")
        if self.accept("/"):
            layer["stride"] = self.number("a stride after '/'")
        if self.accept("pad"):
            layer["padding"] = self.number("a padding after 'pad'")
        return layer

    def padding(self) -> int | list[int]:
        sides = [self.number("a padding after 'pad'")]
        while self.accept(":"):
            sides.append(self.number("a padding amount"))
        if len(sides) not in (1, 4):
            raise self.fail("one padding or four (top:bottom:left:right)")
        return sides[0] if len(sides) == 1 else sides


def parse_layers(text: str) -> list[dict]:
    """The layers of a notation string as plain dicts (`_position` keeps where each began)."""
    if not text.strip():
        raise NotationError("expected a layer, found an empty notation", 0, text)
    return _Parser(text).stack()


def parse(text: str, input: InputShape | None = None, name: str | None = None) -> Spec:
    """Parse notation into a Spec; errors name the character position and what was expected."""
    items = parse_layers(text)
    positions = [item.pop("_position") for item in items]
    try:
        return Spec(name=name, input=input or InputShape(), layers=items)
    except ValidationError as error:
        first = error.errors()[0]
        loc = first["loc"]
        if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int):
            index = loc[1]
            field = next((part for part in loc[3:] if isinstance(part, str)), "")
            message = f"layer {index + 1}: {field + ': ' if field else ''}{_clean(first['msg'])}"
            raise NotationError(message, positions[index], text) from None
        raise SpecError(_clean(first["msg"]), tuple(loc)) from None


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def format_layer(layer: Conv | Pool | SPP | GlobalAvgPool | FC) -> str:
    if isinstance(layer, Conv):
        text = f"({layer.size},{layer.filters})"
        if layer.stride != 1:
            text += f"/{layer.stride}"
        if layer.repeat != 1:
            text += f"x{layer.repeat}"
        if layer.padding == "valid":
            text += " valid"
        elif isinstance(layer.padding, int):
            text += f" pad {layer.padding}"
        elif isinstance(layer.padding, tuple):
            text += " pad " + ":".join(map(str, layer.padding))
        if layer.groups != 1:
            text += f" groups {layer.groups}"
        return text
    if isinstance(layer, Pool):
        word = "pool" if layer.type == "maxpool" else "avgpool"
        text = f"{word} {layer.size}" + (f"/{layer.stride}" if layer.stride != layer.size else "")
        return text + (f" pad {layer.padding}" if layer.padding else "")
    if isinstance(layer, SPP):
        return "spp(" + ",".join(map(str, layer.levels)) + ")"
    if isinstance(layer, GlobalAvgPool):
        return "gap"
    return f"fc {layer.units}" + (f" drop {layer.dropout:g}" if layer.dropout else "")


def format_layers(layers: list) -> str:
    """Canonical notation: " | " after each pooling layer, " + " elsewhere."""
    parts: list[str] = []
    for i, layer in enumerate(layers):
        parts.append(format_layer(layer))
        if i < len(layers) - 1:
            parts.append(" | " if isinstance(layer, Pool) else " + ")
    return "".join(parts)


def format_spec(spec: Spec) -> str:
    return format_layers(spec.layers)


def format_run(layers: list) -> str:
    """A run of single layers (say, a replaced segment) with repeats folded into `xk`."""
    return format_layers(compact(layers)) or "(nothing)"
