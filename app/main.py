"""The FastAPI application: the JSON API under /api/v1, /healthz, OpenAPI at /docs, and the
dashboard (frontend/) at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from app import errors
from app.architectures.router import router as architectures_router
from app.budgets.router import router as budgets_router
from app.db import session_factory
from app.designs.router import router as designs_router
from app.figures.router import router as figures_router
from app.jobs.broker import broker_reachable
from app.jobs.reconciler import Reconciler
from app.jobs.router import router as jobs_router
from app.leaderboard.router import router as leaderboard_router
from app.settings import Settings, get_settings
from app.teams.router import router as teams_router
from app.vocabulary.router import router as vocabulary_router

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
API = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reconciler = Reconciler(settings)
        reconciler.start()
        yield
        reconciler.stop()

    app = FastAPI(
        title="isocost",
        version="0.1.0",
        summary="Design CNNs under a fixed time cost (He & Sun, CVPR 2015).",
        description="Costs are Eqn. (1): multiply-accumulates (MACs) per image, forward pass, conv "
        "layers only. Team endpoints take `Authorization: Bearer <team token>`. Errors are JSON "
        '`{"detail", "field", "errors"}` naming the field or layer at fault.',
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(designs_router, prefix=API)
    app.include_router(figures_router, prefix=API)
    app.include_router(teams_router, prefix=API)
    app.include_router(architectures_router, prefix=API)
    app.include_router(budgets_router, prefix=API)
    app.include_router(leaderboard_router, prefix=API)
    app.include_router(jobs_router, prefix=API)
    app.include_router(vocabulary_router, prefix=API)

    @app.get("/healthz", tags=["ops"])
    def healthz(request: Request) -> JSONResponse:
        """Database and broker reachability; 503 when either is down."""
        try:
            with session_factory(settings.database_url)() as session:
                session.execute(text("SELECT 1"))
            database_ok, database_detail = True, "ok"
        except Exception as error:
            database_ok, database_detail = False, f"{type(error).__name__}: {error}"
        broker_ok, broker_detail = broker_reachable(settings)
        body = {
            "database": {"ok": database_ok, "detail": database_detail},
            "broker": {"ok": broker_ok, "detail": broker_detail},
            "ok": database_ok and broker_ok,
        }
        return JSONResponse(body, status_code=200 if body["ok"] else 503)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    if FRONTEND.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend")
    return app
