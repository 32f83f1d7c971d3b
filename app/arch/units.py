"""How a cost is named and written: the unit, the convention sentence, and MAC formatting.

One home for these (docs/design.md, "One home per concept"): the analysis, the CLI, the figures
and the dashboard (through `GET /api/v1/vocabulary`) all read them from here.
"""

from __future__ import annotations

from typing import Literal

UNIT: Literal["MAC"] = "MAC"
UNIT_SENTENCE = "MACs per image, conv layers only (Eqn. 1)"
CONVENTION = (
    "multiply-accumulates (MACs) per image, forward pass. conv_macs is the paper's C, Eqn. (1) of "
    "He & Sun (2015): the sum over conv layers of in_channels/groups * size^2 * filters * "
    "H_out * W_out; no bias, pooling, ReLU or fc. fc_macs, params (biases included) and "
    "activations (output elements) are reported beside C, never in it. 1 MAC = 2 FLOPs."
)
# Decimal prefixes, largest first; the dashboard formats with the same table.
PREFIXES: tuple[tuple[float, str], ...] = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def format_macs(value: float) -> str:
    """5720832 -> "5.72 M MACs" (three significant digits, decimal prefixes)."""
    for factor, prefix in PREFIXES:
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix} MACs"
    return f"{round(value)} MACs"


def format_macs_exact(value: int) -> str:
    """5720832 -> "5,720,832 MACs"."""
    return f"{value:,} MACs"
