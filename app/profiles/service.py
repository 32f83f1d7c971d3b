"""Device profiles: listed, resolved by id or name, and used to predict a spec's time
(docs/design.md, "Device profiles"). A calibration job stores its profile through
app.jobs.calibration, so this domain does not depend on jobs."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.arch.analysis import Analysis
from app.arch.latency import LatencyModel, Prediction, predict
from app.db import session_factory
from app.exceptions import Invalid, NotFound
from app.pagination import Page, PageParams, paginate
from app.profiles.data import ProfileData
from app.profiles.models import DeviceProfile
from app.profiles.schemas import DeviceProfileDetail, DeviceProfileOut, PredictedAnalysis, ProfileRef
from app.settings import Settings


def new_row(data: ProfileData, team_id: int | None, job_id: int | None) -> DeviceProfile:
    """The row of a profile (uncommitted): a calibration job's (app.jobs.calibration) or another's."""
    return DeviceProfile(team_id=team_id, job_id=job_id, **data.model_dump(mode="json"))


def store(session: Session, data: ProfileData, team_id: int | None = None) -> DeviceProfile:
    """Store a profile made outside a job (bench/latency_model.py); commits."""
    row = new_row(data, team_id, None)
    session.add(row)
    session.commit()
    return row


def page(
    session: Session,
    params: PageParams,
    name: str | None = None,
    device: str | None = None,
    dtype: str | None = None,
    job_id: int | None = None,
) -> Page[DeviceProfileOut]:
    """Profiles, newest first, filtered by whichever filters are given."""
    conditions: list[Any] = []
    for column, value in (
        (DeviceProfile.name, name),
        (DeviceProfile.device, device),
        (DeviceProfile.dtype, dtype),
    ):
        if value:
            conditions.append(column == value)
    if job_id is not None:
        conditions.append(DeviceProfile.job_id == job_id)
    query = select(DeviceProfile).where(*conditions).order_by(DeviceProfile.id.desc())
    rows, total = paginate(session, query, params)
    return params.envelope([DeviceProfileOut.model_validate(row[0]) for row in rows], total)


def detail(session: Session, profile_id: int) -> DeviceProfileDetail:
    found = session.get(DeviceProfile, profile_id)
    if found is None:
        raise NotFound(f"no device profile {profile_id}", "profile_id")
    return DeviceProfileDetail.model_validate(found)


def resolve(session: Session, ref: int | str, field: str = "device_profile") -> DeviceProfile:
    """A profile by id, or the newest of that name; Invalid naming `field` if there is none."""
    if isinstance(ref, int):
        found = session.get(DeviceProfile, ref)
    else:
        found = session.scalar(
            select(DeviceProfile).where(DeviceProfile.name == ref).order_by(DeviceProfile.id.desc()).limit(1)
        )
    if found is None:
        what = f"id {ref}" if isinstance(ref, int) else f"named {ref!r}"
        raise Invalid(f"no device profile {what}; see GET /api/v1/device-profiles", field)
    return found


# Parsed models by profile: a profile is never changed (a calibration adds a new one), and a time
# budget's board predicts every entry with the same one. Keyed by more than the id, which repeats
# across databases (the tests open several in one process).
_MODELS: dict[tuple[int, str, object], LatencyModel] = {}
_MODELS_KEPT = 32
_MODELS_LOCK = threading.Lock()


def _model(profile: DeviceProfile) -> LatencyModel:
    key = (profile.id, profile.name, profile.created_at)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
    if model is None:
        try:
            model = LatencyModel.model_validate(profile.model)
        except ValidationError:
            version = profile.model.get("version") if isinstance(profile.model, dict) else None
            raise Invalid(
                f"device profile {profile.name!r} holds a latency model of version {version}, which this "
                "isocost no longer reads; calibrate the device again",
                "device_profile",
            ) from None
        with _MODELS_LOCK:
            if len(_MODELS) >= _MODELS_KEPT:
                _MODELS.pop(next(iter(_MODELS)))
            _MODELS[key] = model
    return model


def predict_on(analysis: Analysis, profile: DeviceProfile) -> Prediction:
    """`analysis`'s batch-1 time on `profile`'s device; Invalid naming `device_profile` when the
    profile's model is of an older version or has no model of one of its layer kinds."""
    model = _model(profile)
    try:
        return predict(analysis, model)
    except KeyError as error:
        raise Invalid(
            f"device profile {profile.name!r} has no model of {error.args[0]} layers; calibrate again",
            "device_profile",
        ) from None


def with_prediction(analysis: Analysis, profile: DeviceProfile) -> PredictedAnalysis:
    """The analysis with each layer's predicted batch-1 time and the total on `profile`'s device."""
    prediction = predict_on(analysis, profile)
    layer_total = sum(layer.seconds for layer in prediction.layers)
    data = analysis.model_dump()
    for report, layer in zip(data["layers"], prediction.layers, strict=True):
        report["predicted_ms"] = layer.seconds * 1e3
        report["time_share"] = layer.seconds / layer_total if layer_total > 0 else None
    ref = ProfileRef.model_validate(profile, from_attributes=True)
    return PredictedAnalysis.model_validate(
        {
            **data,
            "predicted_ms": prediction.total_s * 1e3,
            "overhead_ms": prediction.overhead_s * 1e3,
            "baseline_ms": prediction.baseline_s * 1e3,
            "device_profile": ref,
        }
    )


def predicted(settings: Settings, analysis: Analysis, ref: int | str) -> PredictedAnalysis:
    """`with_prediction` on the profile `ref`, in a session of its own: `POST /complexity` is the
    editor's hot path and opens none unless a profile is asked for."""
    factory = session_factory(settings.database_url, settings.db_pool_size, settings.db_pool_timeout_s)
    with factory() as session:
        return with_prediction(analysis, resolve(session, ref))
