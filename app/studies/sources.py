"""A study's `models`, as given, into named specs (or saved architectures), each error naming its
field under `models` (docs/design.md, "Studies")."""

from __future__ import annotations

from dataclasses import dataclass

from app.arch.analysis import Analysis, analyse
from app.arch.claims import figure_models
from app.arch.errors import SpecError
from app.arch.presets import preset_name, preset_of, presets
from app.arch.replace import delay_subsampling, replace_segment
from app.arch.spec import Conv, Pool, expand
from app.exceptions import Invalid
from app.settings import Settings
from app.studies.schemas import ModelSource, PaperModels, Replacements

SIZES = (2, 3)  # the paper's replacements shrink filters to 3x3 and 2x2
DEPTHS = (1, 2)  # x the stage's conv count: the same depth (other size), or twice as deep
WIDTH_STEP = 8  # solved widths are multiples of 8, as the paper's are (B: (2,256)x6, not (2,257)x5)


@dataclass(frozen=True)
class Wanted:
    """One model of a study: a spec to save (or find saved), or an architecture by id."""

    name: str
    field: str  # where it was given: models[2], models.figure ...
    analysis: Analysis | None
    architecture_id: int | None = None


def wanted(models: list[ModelSource] | PaperModels | Replacements, settings: Settings) -> list[Wanted]:
    """The models a study asks for (validated by `StudyCreate`), in order, at most
    ISOCOST_MAX_STUDY_MODELS, names unique."""
    if isinstance(models, PaperModels):
        out = [
            Wanted(name, "models", analyse(presets()[name].spec))
            for name in (preset_name(m, models.scale) for m in figure_models(models.figure))
        ]
    elif isinstance(models, Replacements):
        out = _replacements(models, settings.max_study_models)
    else:
        out = _listed(models, settings)
    seen: dict[str, int] = {}
    for i, item in enumerate(out):
        if item.name in seen:
            raise Invalid(
                f"duplicate name {item.name!r} (also models[{seen[item.name]}])", f"{item.field}.name"
            )
        seen[item.name] = i
    return out


def _listed(models: list[ModelSource], settings: Settings) -> list[Wanted]:
    if len(models) > settings.max_study_models:
        raise Invalid(
            f"{len(models):,} models is over this server's limit of {settings.max_study_models:,} per study",
            "models",
        )
    out = []
    analysed: dict[str, Analysis] = {}  # the same source twice is analysed once
    for i, source in enumerate(models):
        if source.architecture_id is not None:
            out.append(Wanted(source.name, f"models[{i}]", None, source.architecture_id))
            continue
        key = source.model_dump_json(exclude={"name"})
        if key not in analysed:
            analysed[key] = source.analysis(("models", i))
        out.append(Wanted(source.name, f"models[{i}]", analysed[key]))
    return out


def _replacements(body: Replacements, limit: int) -> list[Wanted]:
    """The base, then its variants at equal cost, nearest in cost first: each stage after the
    stem replaced by convs of each size in SIZES at each depth in DEPTHS (width solved by the
    replacement solver, kept when within its tolerance), and subsampling delayed."""
    base = body.replacements_of.analysis(("models", "replacements_of"))
    base_name = body.name or base.spec.name or "base"
    found: dict[str, tuple[float, str, Analysis]] = {}
    layers = expand(base.spec)
    conv_number = 0
    stage: list[int] = []
    stages: list[list[int]] = []
    for layer in layers:
        if isinstance(layer, Conv):
            conv_number += 1
            stage.append(conv_number)
        elif isinstance(layer, Pool) and stage:
            stages.append(stage)
            stage = []
    if stage:
        stages.append(stage)
    for number, convs in enumerate(stages[1:], start=2):
        for size in SIZES:
            for times in DEPTHS:
                try:
                    candidates = replace_segment(
                        base.spec, convs[0], convs[-1], size, depth=times * len(convs), multiple_of=WIDTH_STEP
                    )
                except SpecError:
                    continue  # a strided segment, or a shape over the limits: not a variant
                best = candidates[0]
                if best.within_tolerance:
                    change = best.description.split(": ", 1)[-1]
                    name = preset_of(best.spec) or f"stage {number}: {change}"
                    found.setdefault(best.notation, (abs(best.change), name, analyse(best.spec)))
    try:
        delayed = analyse(delay_subsampling(base.spec))
        found.setdefault(delayed.notation, (0.0, preset_of(delayed.spec) or "subsampling delayed", delayed))
    except SpecError:
        pass  # nothing to delay
    found.pop(base.notation, None)
    variants = sorted(found.values(), key=lambda v: (v[0], v[1]))[: max(0, limit - 1)]
    out = [Wanted(base_name, "models.replacements_of", base)]
    return out + [Wanted(name, "models.replacements_of", analysis) for _, name, analysis in variants]
