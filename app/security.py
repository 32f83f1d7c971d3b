"""Security headers on every response, from one middleware (docs/design.md, "Browser security").

- `Content-Security-Policy`: scripts, styles, images, fonts, requests and workers only from this
  server. No inline script anywhere: the dashboard is ES modules with listeners added in code,
  and the API docs' start-up script is a served file (`app.docs`). Inline *styles* are allowed,
  because they are needed: plotly.js writes a `<style>` element (its mode bar and hover labels)
  and style attributes as it draws, the dashboard places the cost gauge's marks with style
  attributes, and Redoc renders all its styles that way; under `style-src 'self'` chromium
  refused them (violations logged on every dashboard page) and Redoc showed no operation. Styles
  cannot run code. `data:` images carry icons (plotly's, Swagger UI's, the page's empty
  favicon); Redoc starts its search worker from a `blob:` URL.
- `frame-ancestors 'none'`: no other site may frame a page (clickjacking).
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (a `#token=` link never
  leaves in a Referer, and nor do paths).
- `Cache-Control: no-store` on API responses (`/api/`, `/healthz`, `/openapi.json`): they carry
  team data; a response that sets its own (`GET /api/v1/vocabulary`) keeps it. Static files
  (the dashboard, plotly.js, the docs' assets) stay cacheable.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE_PREFIXES = ("/api/", "/healthz", "/openapi.json")


class SecurityHeaders:
    """Adds `HEADERS` to every HTTP response, and `Cache-Control: no-store` to API responses that
    set no cache policy of their own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = str(scope.get("path", "")).startswith(NO_STORE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if no_store and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
