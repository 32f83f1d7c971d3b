"""Interchange over HTTP (docs/api.md, "Interchange"): exports of specs and saved architectures,
trained weights of jobs, and imports of ONNX files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from app.arch.analysis import Analysis
from app.architectures.deps import VisibleArchitecture
from app.deps import SessionDep, SettingsDep
from app.errors import responses
from app.exceptions import Invalid
from app.fields import IdPath
from app.interchange import service
from app.interchange.schemas import ExportFormat, ExportRequest
from app.interchange.weights import WeightFormat
from app.teams.deps import OptionalTeamDep

router = APIRouter(tags=["interchange"])
# every media type a download may have (service.MEDIA_TYPE), so the schema documents what is sent
FILE = {
    "content": {media.split(";")[0]: {} for media in service.MEDIA_TYPE.values()},
    "description": "the file, as an attachment",
}


def _send(download: service.Download) -> Response:
    if isinstance(download.content, bytes):
        disposition = f'attachment; filename="{download.filename}"'
        headers = {"Content-Disposition": disposition}
        return Response(download.content, media_type=download.media_type, headers=headers)
    return FileResponse(download.content, media_type=download.media_type, filename=download.filename)


@router.post("/export", responses={200: FILE, **responses(413, 422)})
def export(body: ExportRequest) -> Response:
    """The spec as an ONNX file (built from the spec, checked with onnx.checker; weights are graph
    inputs) or as one PyTorch source file (an nn.Module named as the paper's tables)."""
    return _send(service.export(body.resolve(), body.format, body.name))


@router.get("/architectures/{architecture_id}/export", responses={200: FILE, **responses(401, 404, 422)})
def export_architecture(
    architecture: VisibleArchitecture, format: Annotated[ExportFormat, Query()]
) -> Response:
    """A saved architecture (yours or published) as ONNX or PyTorch source."""
    return _send(service.export(service.architecture_spec(architecture), format, architecture.name))


@router.get("/jobs/{job_id}/weights", responses={200: FILE, **responses(401, 404, 409, 422)})
def weights(
    job_id: IdPath,
    format: Annotated[WeightFormat, Query()],
    team: OptionalTeamDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The final weights of a succeeded training job: `pt` (a state_dict that loads into the
    exported PyTorch source) or `onnx` (the model with its weights). Your team's jobs, or, with or
    without a token, jobs of published architectures."""
    return _send(service.job_weights(session, settings, team, job_id, format))


@router.post(
    "/import",
    response_model=Analysis,
    responses=responses(413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_onnx(request: Request, settings: SettingsDep) -> Response:
    """An ONNX file (the body, `Content-Type: application/octet-stream`, at most
    `ISOCOST_MAX_IMPORT_BYTES`) as a spec and its analysis: the JSON of POST /complexity. Nodes a
    spec cannot hold are refused with 422 naming the node, its op and why."""
    if request.headers.get("content-type", "").split(";")[0].strip() not in ("application/octet-stream", ""):
        raise Invalid("send the .onnx file as the body with Content-Type: application/octet-stream", "body")
    data = await request.body()
    analysis = await run_in_threadpool(service.import_file, data, settings)  # CPU-bound: off the loop
    return Response(analysis.model_dump_json(), media_type="application/json")
