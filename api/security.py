"""Security headers on every response and CORS for an explicit list of allowed origins."""

from __future__ import annotations

from typing import Any

from aiohttp import web

# The browser client loads only its own scripts and styles; the API is never framed.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' https: data:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-Request-ID"


def security_middleware(allowed_origins: tuple[str, ...]) -> Any:
    """Same-origin by default; with `cors_origins` set, those origins (or "*") may call the API."""
    allow_any = "*" in allowed_origins

    def allowed(origin: str | None) -> bool:
        return origin is not None and (allow_any or origin in allowed_origins)

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        response: web.StreamResponse
        if preflight:
            response = web.Response(status=204 if allowed(origin) else 403)
        else:
            response = await handler(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin or ""
            response.headers["Vary"] = "Origin"
            if preflight:
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        return response

    return middleware
