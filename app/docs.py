"""`/docs` (Swagger UI) and `/redoc` served from this server: their scripts and styles come from
the installed `fastapi-offline` package, not from a CDN, so the docs work on a host without
internet, and Swagger UI's start-up script is a served file (`docs_static/swagger-init.js`), so
they run under the policy that forbids inline scripts (docs/design.md, "Browser security")."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
INIT = Path(__file__).resolve().parent / "docs_static" / "swagger-init.js"
ASSETS_URL = "/docs/assets"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{assets}/favicon.png">
{head}
</head>
<body>
{body}
</body>
</html>
"""


def _page(title: str, head: str, body: str) -> str:
    return _PAGE.format(title=title, assets=ASSETS_URL, head=head, body=body)


SWAGGER_PAGE = _page(
    "isocost API: Swagger UI",
    f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">',
    f'<div id="swagger-ui"></div>\n<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>\n'
    '<script src="/docs/swagger-init.js"></script>',
)
REDOC_PAGE = _page(
    "isocost API: ReDoc",
    "",
    f'<redoc spec-url="/openapi.json"></redoc>\n<script src="{ASSETS_URL}/redoc.standalone.js"></script>',
)


def install(app: FastAPI) -> None:
    """Add the two pages, the start-up script and the assets. Call before mounting anything at /."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)

    @app.get("/docs/swagger-init.js", include_in_schema=False)
    def swagger_init() -> FileResponse:
        return FileResponse(INIT, media_type="text/javascript")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC_PAGE)
