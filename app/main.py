"""The FastAPI application: the JSON API under /api/v1, /healthz, OpenAPI at /docs, and the
dashboard (frontend/) at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app import docs, errors
from app.architectures.router import router as architectures_router
from app.budgets.router import router as budgets_router
from app.deps import get_session
from app.designs.router import router as designs_router
from app.figures.router import router as figures_router
from app.figures.study_router import router as study_figures_router
from app.health import router as health_router
from app.interchange.router import router as interchange_router
from app.jobs.reconciler import Reconciler
from app.jobs.router import router as jobs_router
from app.keepalive import Rebalance
from app.leaderboard.router import router as leaderboard_router
from app.profiles.router import router as profiles_router
from app.security import SecurityHeaders
from app.settings import Settings, get_settings
from app.slow_clients import BodyTimeout
from app.studies.router import router as studies_router
from app.teams.router import router as teams_router
from app.vocabulary.router import router as vocabulary_router

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
API = "/api/v1"
ROUTERS = [designs_router, figures_router, teams_router, architectures_router, budgets_router, leaderboard_router,
           jobs_router, vocabulary_router, interchange_router, profiles_router, studies_router,
           study_figures_router]  # fmt: skip


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Few threads per process: CPU-bound threads starve the others of the GIL (docs/design.md, "Serving").
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
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
        # served by app.docs from the installed package, under the CSP (no CDN, no inline script)
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # requests using the database at once: as many as the pool has connections (app.deps.get_session)
    app.state.database_slots = anyio.Semaphore(settings.db_pool_size)
    app.state.database_closers = anyio.CapacityLimiter(settings.db_pool_size)
    errors.install(app)
    imports = {f"{API}/import": settings.max_import_bytes}  # files: docs/design.md, "Interchange"
    app.add_middleware(errors.BodyLimit, max_bytes=settings.max_body_bytes, larger=imports)
    app.add_middleware(BodyTimeout, timeout_s=settings.body_timeout_s)  # docs/design.md, "Serving"
    app.add_middleware(Rebalance, requests_per_connection=settings.keepalive_requests)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so the 413s get the headers too
    for router in ROUTERS:
        errors.declare_unavailable(router, session=get_session)
        app.include_router(router, prefix=API)
    app.include_router(health_router)
    docs.install(app)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    if FRONTEND.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend")
    return app
