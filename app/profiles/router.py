"""Device profiles: calibrated by `POST /jobs` with `kind: "calibrate"`, listed here. They describe
devices, not designs, so anyone may read them, as anyone may ask `POST /complexity` to use one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import PageDep, SessionDep
from app.errors import responses
from app.fields import IdPath, IdQuery, Printable
from app.pagination import Page
from app.profiles import service
from app.profiles.schemas import DeviceProfileDetail, DeviceProfileOut

router = APIRouter(prefix="/device-profiles", tags=["device profiles"])
Filter = Annotated[str | None, Query(max_length=200), Printable]


@router.get("", response_model=Page[DeviceProfileOut], responses=responses(422))
def list_profiles(
    session: SessionDep,
    paging: PageDep,
    name: Filter = None,
    device: Filter = None,
    dtype: Filter = None,
    job_id: IdQuery | None = None,
) -> Page[DeviceProfileOut]:
    """Device profiles, newest first: each a device with its fit quality (the model itself is in
    `GET /device-profiles/{id}`)."""
    return service.page(session, paging, name, device, dtype, job_id)


@router.get("/{profile_id}", response_model=DeviceProfileDetail, responses=responses(404, 422))
def get_profile(session: SessionDep, profile_id: IdPath) -> DeviceProfileDetail:
    """One device profile with its fitted latency model."""
    return service.detail(session, profile_id)
