"""Spec identity (docs/design.md, "Spec identity"): two specs are the same design when they
describe the same network, whatever their name or how their repeats were typed.
`spec_hash` is stored with every architecture and returned with every analysis, so the API
(duplicates, study reuse) and the dashboard (is this draft saved?) recognise a design one way."""

from __future__ import annotations

import hashlib
import json

from app.arch.spec import Spec, compact, expand


def spec_hash(spec: Spec) -> str:
    """SHA-256 of the canonical spec JSON, name excluded. Canonical: repeats folded the same way
    whatever the user typed, so `(3,64)x2` and `(3,64) + (3,64)` hash alike; keys sorted; the
    input shape included."""
    canonical = spec.model_copy(update={"name": None, "layers": compact(expand(spec))})
    payload = canonical.model_dump(mode="json", exclude={"name"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
