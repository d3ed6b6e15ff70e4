"""Security headers on every response: pages, fragments and errors alike."""

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "manifest-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

ADMIN_ROOT = "/admin"


def init_app(app: Flask) -> None:
    """Add the headers after every request, and HSTS when served over HTTPS."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.path == ADMIN_ROOT or request.path.startswith(ADMIN_ROOT + "/"):
            headers["Cache-Control"] = "no-store"  # staff pages stay out of every cache
        if request.is_secure and app.config["HSTS_SECONDS"]:
            headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        return response
