"""`GET /vocabulary`: the names the dashboard shares with the API (job kinds and statuses, the
cost unit and its prefixes, scales and their reference presets, layer kinds), read from their one
home (docs/design.md, "One home per concept"). No login: nothing here is a team's."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import get_args

from fastapi import APIRouter, Request, Response

from app.arch.layers import LAYER_KINDS
from app.arch.presets import SCALES, reference
from app.arch.units import CONVENTION, PREFIXES, UNIT, UNIT_SENTENCE
from app.jobs.status import ACTIVE, FINISHED, JobKind, JobStatus
from app.vocabulary.schemas import LayerKindOut, Prefix, ScaleOut, Vocabulary

router = APIRouter(tags=["design"])

# It changes only with a deploy: browsers may keep it a while, then revalidate by ETag.
CACHE_CONTROL = "public, max-age=3600"


def _in_order(statuses: frozenset[JobStatus]) -> list[JobStatus]:
    return [status for status in JobStatus if status in statuses]  # lifecycle order, not set order


def build() -> Vocabulary:
    return Vocabulary(
        job_kinds=list(get_args(JobKind)),
        job_statuses=list(JobStatus),
        finished=_in_order(FINISHED),
        active=_in_order(ACTIVE),
        unit=UNIT,
        unit_sentence=UNIT_SENTENCE,
        convention=CONVENTION,
        prefixes=[Prefix(factor=factor, symbol=symbol) for factor, symbol in PREFIXES],
        scales=[
            ScaleOut(
                name=scale, reference=reference(scale).name, input_side=reference(scale).spec.input.height
            )
            for scale in SCALES
        ],
        layer_kinds=[
            LayerKindOut(kind=k.kind, label=k.label, example=k.example) for k in LAYER_KINDS.values()
        ],
    )


@cache
def _encoded() -> tuple[bytes, str]:
    body = build().model_dump_json().encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@router.get("/vocabulary", response_model=Vocabulary)
def vocabulary(request: Request) -> Response:
    """Job kinds, job statuses (and which are finished or active), the cost unit, its one-line
    meaning, the convention and the decimal prefixes, the scales with their reference presets, and
    the layer kinds with a label and a notation example. Cacheable (`Cache-Control`, `ETag`)."""
    body, etag = _encoded()
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
