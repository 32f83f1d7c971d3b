"""The reference networks (docs/design.md, "Device profiles"): the presets every standard
calibration times first, whose median passes its profile keeps (`provenance.network_pass_s`).
Timed again beside a benchmark (`BenchmarkDetails.reference_s`), their times over the
calibration's say how fast the host ran then against when it was calibrated. Apart from
`worker.calibrate`, so a benchmark need not import scikit-learn."""

from __future__ import annotations

from app.arch.presets import presets
from app.arch.spec import Spec

REFERENCE_PRESETS = ("A-s36", "B-s36", "C-s36", "E-s36", "F-s36", "J-s36")


def reference_networks() -> list[Spec]:
    return [presets()[name].spec for name in REFERENCE_PRESETS]
