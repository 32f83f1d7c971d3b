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

from collections.abc import Sequence

from pydantic import ValidationError

from app.arch.errors import NotationError, SpecError
from app.arch.layers import KEYWORDS, Fields, kind_of
from app.arch.spec import AnyLayer, InputShape, Spec, compact
from app.arch.tokens import Tokens


def _stack(t: Tokens) -> list[Fields]:
    items = [_item(t)]
    while t.peek()[0] != "end":
        if not (t.accept("+") or t.accept(",") or t.accept("|")):
            raise t.fail("'+', ',' or '|' between layers")
        items.append(_item(t))
    return items


def _item(t: Tokens) -> Fields:
    kind, word, start = t.peek()
    layer_kind = KEYWORDS.get(word) if kind != "num" else None
    if layer_kind is None:
        raise t.fail("a layer: '(size,filters)', 'pool', 'avgpool', 'spp(...)', 'gap' or 'fc'")
    t.i += 1
    layer = layer_kind.read(t, word)
    _, last, last_start = t.items[t.i - 1]
    layer["_position"], layer["_end"] = start, last_start + len(last)  # the layer's whole text
    return layer


def parse_layers(text: str) -> list[Fields]:
    """The layers of a notation string as plain dicts (`_position` and `_end` keep where each
    began and ended)."""
    if not text.strip():
        raise NotationError("expected a layer, found an empty notation", 0, text)
    return _stack(Tokens(text))


def parse(text: str, input: InputShape | None = None, name: str | None = None) -> Spec:
    """Parse notation into a Spec; errors name the character position and what was expected."""
    items = parse_layers(text)
    spans = [(item.pop("_position"), item.pop("_end")) for item in items]
    try:
        return Spec(name=name, input=input or InputShape(), layers=items)
    except ValidationError as error:
        first = error.errors()[0]
        loc = first["loc"]
        if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int):
            index = loc[1]
            field = next((part for part in loc[3:] if isinstance(part, str)), "")
            message = f"layer {index + 1}: {field + ': ' if field else ''}{_clean(first['msg'])}"
            start, end = spans[index]
            raise NotationError(message, start, text, end) from None
        raise SpecError(_clean(first["msg"]), tuple(loc)) from None


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def format_layer(layer: AnyLayer) -> str:
    return kind_of(layer).write(layer)


def format_layers(layers: Sequence[AnyLayer]) -> str:
    """Canonical notation: " | " after each pooling layer, " + " elsewhere."""
    parts: list[str] = []
    for i, layer in enumerate(layers):
        parts.append(format_layer(layer))
        if i < len(layers) - 1:
            parts.append(" | " if kind_of(layer).role == "pool" else " + ")
    return "".join(parts)


def format_spec(spec: Spec) -> str:
    return format_layers(spec.layers)


def format_run(layers: Sequence[AnyLayer]) -> str:
    """A run of single layers (say, a replaced segment) with repeats folded into `xk`."""
    return format_layers(compact(layers)) or "(nothing)"
