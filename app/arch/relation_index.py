"""The relation finder's index: specs as interned token sequences, filed under keys, and the
candidate pairs those keys give (docs/design.md, "Relations", "Bounded cost").

Every step here costs time linear in the layers (or n log n in the specs), never a product of
the two: identical specs are merged into one node first; a key is a pair of interned ids (the
layers before a stage and the layers after it, each id built from the previous one), so filing
a spec under all its stage keys is linear in its layers; and candidate pairs are *counted* by
bisecting cost-sorted buckets before any is enumerated, so a caller can refuse an expensive
request before doing the work.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from app.arch.layers import LAYER_KINDS, Token, kind_of
from app.arch.spec import AnyLayer, Conv, Pool

Shape = tuple[int, int, int]  # the input: channels, height, width
Key = tuple[int, int]  # (id of the layers before a stage, id of the layers after it)
_WIDTH = array("I").itemsize  # bytes per token id in `Node.forward`
MAX_CHANGE_RUNS = 12  # a described run of more runs of equal layers than this is shortened


@dataclass
class Node:
    """One distinct layer sequence, with every (order, name) that has it."""

    names: list[tuple[int, str]]
    layers: list[AnyLayer]
    conv_macs: int
    rank: tuple[int, int, int]  # sources before targets: shallower, fewer pools, earlier subsampling
    ids: list[int]  # interned tokens
    forward: bytes  # `ids` packed, so common prefixes are found by comparing slices (memcmp)
    backward: bytes  # the same, reversed: common suffixes
    loose: int  # id of the token sequence with strides erased
    # prefix sums over the layers: sums[k] covers layers[:k] (each pair then costs O(log L))
    convs: list[int] = field(default_factory=list)
    filters: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    pools: list[int] = field(default_factory=list)
    others: list[int] = field(default_factory=list)  # neither conv nor pool: spp, gap, fc
    run_starts: list[int] = field(default_factory=list)  # where each run of equal layers begins


class Index:
    """Interning tables shared by the nodes of one call, so equal sequences get equal ids."""

    def __init__(self) -> None:
        self.tokens: dict[Token, int] = {}
        self.roles: list[str] = []
        self.sequences: dict[tuple[int, ...], int] = {}
        self.chains: dict[tuple[object, ...], int] = {}
        self.texts: dict[tuple[int, int], str] = {}  # (token id, repeat) -> notation

    def _token_id(self, token: Token) -> int:
        found = self.tokens.get(token)
        if found is None:
            found = self.tokens[token] = len(self.tokens)
            self.roles.append(LAYER_KINDS[token[0]].role)
        return found

    def _sequence(self, ids: tuple[int, ...]) -> int:
        return self.sequences.setdefault(ids, len(self.sequences))

    def _chain(self, link: tuple[object, ...]) -> int:
        return self.chains.setdefault(link, len(self.chains))

    def node(self, layers: list[AnyLayer], conv_macs: int, names: list[tuple[int, str]]) -> Node:
        ids = [self._token_id(kind_of(layer).token(layer, True)) for layer in layers]
        loose = self._sequence(tuple(self._token_id(kind_of(layer).token(layer, False)) for layer in layers))
        pools = [layer for layer in layers if isinstance(layer, Pool)]
        is_conv = [isinstance(layer, Conv) for layer in layers]
        is_pool = [isinstance(layer, Pool) for layer in layers]
        filters = [layer.filters if isinstance(layer, Conv) else 0 for layer in layers]
        sizes = [layer.size if isinstance(layer, Conv) else 0 for layer in layers]
        return Node(
            names=names,
            layers=layers,
            conv_macs=conv_macs,
            rank=(sum(is_conv), len(pools), -math.prod(p.stride or p.size for p in pools)),
            ids=ids,
            forward=array("I", ids).tobytes(),
            backward=array("I", ids[::-1]).tobytes(),
            loose=loose,
            convs=_sums(is_conv),
            filters=_sums(filters),
            sizes=_sums(sizes),
            pools=_sums(is_pool),
            others=_sums(not (conv or pool) for conv, pool in zip(is_conv, is_pool, strict=True)),
            run_starts=[i for i in range(len(ids)) if i == 0 or ids[i] != ids[i - 1] or not is_conv[i]],
        )

    def keys(self, node: Node, head: Shape) -> tuple[list[Key], list[Key]]:
        """(keys the node is filed under, keys under which it looks for partners).

        A spec is stages of convs between separators (pools and the head): s0 p0 s1 p1 ... sm.
        Its key for stage i is (before_i, after_i): everything but stage i's convs, so two specs
        share it exactly when they differ only inside stage i. Removing pool k merges stages k
        and k+1; the merged stage's key (before_k, after_k+1) is where a spec with a stage added
        at equal cost (E -> J) finds its partner. Strides erased give one more key (X -> X').
        """
        stages: list[tuple[int, ...]] = []
        separators: list[int] = []
        run: list[int] = []
        for token in node.ids:
            if self.roles[token] == "conv":
                run.append(token)
            else:
                stages.append(tuple(run))
                separators.append(token)
                run = []
        stages.append(tuple(run))
        stage_ids = [self._sequence(stage) for stage in stages]
        before = [self._chain(("input", head))]
        for stage, separator in zip(stage_ids, separators, strict=False):
            before.append(self._chain(("before", before[-1], stage, separator)))
        after = [self._chain(("end",))]
        for stage, separator in zip(reversed(stage_ids[1:]), reversed(separators), strict=True):
            after.append(self._chain(("after", separator, stage, after[-1])))
        after.reverse()
        own = [(before[i], after[i]) for i in range(len(stages))]
        own.append((self._chain(("strides", head)), node.loose))
        probes = [
            (before[k], after[k + 1]) for k, token in enumerate(separators) if self.roles[token] == "pool"
        ]
        return own, probes

    def describe(self, node: Node, start: int, end: int) -> str:
        """Layers start..end-1 in notation with repeats folded (as `format_run`), from the node's
        runs and cached texts, so its cost does not grow with the run; past MAX_CHANGE_RUNS runs
        it ends with "…" and the number of layers."""
        if start >= end:
            return "(nothing)"
        runs = node.run_starts
        first, last = bisect_right(runs, start) - 1, bisect_left(runs, end)
        parts: list[str] = []
        for r in range(first, min(last, first + MAX_CHANGE_RUNS)):
            low, high = max(runs[r], start), min(runs[r + 1] if r + 1 < len(runs) else end, end)
            token = node.ids[low]
            text = self.texts.get((token, high - low))
            if text is None:
                layer = node.layers[low]
                layer = layer.model_copy(update={"repeat": high - low}) if high - low > 1 else layer
                text = self.texts[(token, high - low)] = kind_of(layer).write(layer)
            parts += [text, " | " if self.roles[token] == "pool" else " + "]
        if last - first > MAX_CHANGE_RUNS:
            return f"{''.join(parts)}… ({end - start} layers in all)"
        return "".join(parts[:-1])


def _sums(values: Iterable[int]) -> list[int]:
    return list(accumulate(values, initial=0))  # bools add up as ints


class Candidates:
    """Nodes filed under their keys; candidate pairs: nodes sharing a key, or one probing a key
    the other is filed under, at matched cost (the larger C within `tolerance` of the smaller;
    C = 0 matches nothing)."""

    def __init__(self, nodes: list[Node], keys: list[tuple[list[Key], list[Key]]], tolerance: float):
        self.nodes, self.tolerance = nodes, tolerance
        filed: dict[Key, list[int]] = defaultdict(list)
        for i, (own, _) in enumerate(keys):
            if nodes[i].conv_macs > 0:
                for key in own:
                    filed[key].append(i)
        probed = {key for _, probes in keys for key in probes}
        # each bucket that can give a pair, sorted by cost, with the running sum of names per node
        self.buckets: dict[Key, tuple[list[int], list[int], list[int]]] = {}
        for key, members in filed.items():
            if len(members) < 2 and key not in probed:
                continue
            members.sort(key=lambda i: nodes[i].conv_macs)
            costs = [nodes[i].conv_macs for i in members]
            weights = _sums(len(nodes[i].names) for i in members)
            self.buckets[key] = (members, costs, weights)
        self.probes = [
            (i, key) for i, (_, probes) in enumerate(keys) for key in probes if key in self.buckets
        ]

    def _within(self, costs: list[int], i: int) -> int:
        """End of the run of costs after costs[i] that match it."""
        low, tolerance = costs[i], self.tolerance
        return bisect_right(costs, tolerance, lo=i + 1, key=lambda c: c / low - 1)

    def _around(self, costs: list[int], cost: int) -> tuple[int, int]:
        """The slice of `costs` that matches `cost` (1 - cost/c rises with c, as c/cost - 1 does)."""
        if cost <= 0:
            return 0, 0
        tolerance = self.tolerance
        start = bisect_left(costs, -tolerance, key=lambda c: -(cost / c - 1))
        return start, bisect_right(costs, tolerance, lo=start, key=lambda c: c / cost - 1)

    def count(self) -> int:
        """Name pairs to compare, counted without enumerating them: O(n log n)."""
        total = 0
        for members, costs, weights in self.buckets.values():
            for i in range(len(members) - 1):
                total += (weights[i + 1] - weights[i]) * (weights[self._within(costs, i)] - weights[i + 1])
        for i, key in self.probes:
            members, costs, weights = self.buckets[key]
            start, end = self._around(costs, self.nodes[i].conv_macs)
            total += len(self.nodes[i].names) * (weights[end] - weights[start])
        return total

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Each candidate pair of nodes, (lower index, higher), possibly more than once."""
        for members, costs, _ in self.buckets.values():
            for i in range(len(members) - 1):
                for j in range(i + 1, self._within(costs, i)):
                    yield min(members[i], members[j]), max(members[i], members[j])
        for i, key in self.probes:
            members, costs, _ = self.buckets[key]
            start, end = self._around(costs, self.nodes[i].conv_macs)
            for j in members[start:end]:
                if j != i:
                    yield min(i, j), max(i, j)


def common_prefix(x: bytes, y: bytes, limit: int) -> int:
    """How many leading token ids (at most `limit`) two packed sequences share: a binary search
    of slice comparisons, so O(log L) C-level compares instead of a Python loop over L."""
    low, high = 0, limit
    if x[: high * _WIDTH] == y[: high * _WIDTH]:
        return high
    while low < high - 1:  # x and y agree on `low` tokens and differ within `high`
        middle = (low + high) // 2
        if x[: middle * _WIDTH] == y[: middle * _WIDTH]:
            low = middle
        else:
            high = middle
    return low
