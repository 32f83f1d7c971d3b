"""What the paper claims for each relation edge, as data (docs/design.md, "Studies").

He & Sun (2015) state two observations about depth at constrained cost: (1) depth is of high
priority for accuracy even when width or filter sizes are reduced to pay for it; (2) when depth is
increased too far, accuracy stagnates or degrades. Their per-model errors could not be recovered
(docs/design.md, "The paper's models"), so no claim here is a number, and none is quoted: every
one is a paraphrase of those observations, or of the paper's use of delayed subsampling, or
"not recovered" where the paper's finding for that edge is unknown here.

A claim `expects` the verdict of target against source ("better": the target has the lower
error), or None when not recovered. Edges between the paper's models are looked up by model
(A ... J', any scale); other edges fall back to their figure's claim.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Basis = Literal["quoted", "paraphrased", "not recovered"]
Expectation = Literal["better", "worse", "within noise"]
FigureChoice = Literal[1, 2, 3, "all"]

SOURCE = "He & Sun, Convolutional Neural Networks at Constrained Time Cost (CVPR 2015)"


class Claim(BaseModel):
    text: str
    basis: Basis
    expects: Expectation | None  # the target's verdict against the source; None: not recovered
    source: str = SOURCE


# The paper's models of each figure (docs/design.md, "Relations"), by model letter.
FIGURE_MODELS: dict[int, tuple[str, ...]] = {
    1: ("A", "B", "C", "D", "E"),
    2: ("A", "F", "G", "C", "H", "D", "I"),
    3: ("B", "F", "E", "I"),
}

_DEPTH = Claim(
    text="Deeper at equal cost is more accurate, even though filter sizes or widths shrink to "
    "pay for the depth (the paper's first observation on depth, paraphrased).",
    basis="paraphrased",
    expects="better",
)
_TOO_DEEP = Claim(
    text="Past some depth, accuracy stagnates or degrades (the paper's second observation, "
    "paraphrased); whether this edge is already past it is not recovered.",
    basis="not recovered",
    expects=None,
)
_WIDTH_VS_SIZE = Claim(
    text="At equal depth, the paper's finding for trading width against filter size was not recovered.",
    basis="not recovered",
    expects=None,
)
_DELAYED = Claim(
    text="Delaying subsampling (the primed models) at unchanged cost improves accuracy: the paper "
    "adopts it for its final model J' (paraphrased).",
    basis="paraphrased",
    expects="better",
)
_STAGE_ADDED = Claim(
    text="Adding a stage at equal cost (E -> J) leads to the paper's final model; its error "
    "relative to E was not recovered.",
    basis="not recovered",
    expects=None,
)
UNKNOWN = Claim(text="The paper makes no claim about this edge.", basis="not recovered", expects=None)

# Edges between the paper's models (source, target), by model letter.
EDGE_CLAIMS: dict[tuple[str, str], Claim] = {
    ("A", "B"): _DEPTH,
    ("A", "C"): _DEPTH,
    ("B", "D"): _DEPTH,
    ("C", "D"): _DEPTH,
    ("D", "E"): _DEPTH,
    ("A", "F"): _DEPTH,
    ("F", "G"): _TOO_DEEP,
    ("C", "H"): _DEPTH,
    ("D", "I"): _DEPTH,
    ("B", "F"): _WIDTH_VS_SIZE,
    ("F", "B"): _WIDTH_VS_SIZE,
    ("E", "I"): _WIDTH_VS_SIZE,
    ("I", "E"): _WIDTH_VS_SIZE,
    ("E", "J"): _STAGE_ADDED,
    **{(m, m + "'"): _DELAYED for m in ("B", "D", "E", "J")},
}
FIGURE_CLAIMS: dict[int, Claim] = {1: _DEPTH, 2: _DEPTH, 3: _WIDTH_VS_SIZE}


def claim_for(
    source_model: str | None, target_model: str | None, figure: int | None, factors: dict[str, str]
) -> Claim:
    """The paper's claim for an edge (`factors` as in app.arch.relations.Relation): by the paper's
    models when both ends are ones (their letter, "A" ... "J'"), else by the edge's figure, else
    by its kind."""
    if source_model and target_model and (source_model, target_model) in EDGE_CLAIMS:
        return EDGE_CLAIMS[(source_model, target_model)]
    if figure in FIGURE_CLAIMS:
        return FIGURE_CLAIMS[figure]
    if factors.get("stride/pooling") == "delayed":
        return _DELAYED
    if factors.get("stride/pooling") == "added":
        return _STAGE_ADDED
    return UNKNOWN


def figure_models(figure: FigureChoice) -> tuple[str, ...]:
    """The paper's models of one figure (1, 2, 3) or of the whole study ("all": A ... J')."""
    if figure == "all":
        return ("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "B'", "D'", "E'", "J'")
    return FIGURE_MODELS[figure]
