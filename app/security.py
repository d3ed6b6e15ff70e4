"""What the site trusts of a request and what it tells browsers: the proxy headers, the
Host, the size of a body, and the security headers on every response."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask, Request, Response, request
from werkzeug.exceptions import RequestEntityTooLarge, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

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
# Browser features no page of the site uses, switched off for it and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "ambient-light-sensor", "autoplay", "battery", "bluetooth",
        "browsing-topics", "camera", "display-capture", "document-domain", "encrypted-media",
        "geolocation", "gyroscope", "hid", "identity-credentials-get", "idle-detection",
        "interest-cohort", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial",
        "usb", "xr-spatial-tracking",
    )
)  # fmt: skip

# Sent with every response that does not set its own: (name, name in lower case, value).
HEADERS = tuple(
    (name, name.lower(), value)
    for name, value in (
        ("Content-Security-Policy", CSP),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )
)

ADMIN_ROOT = "/admin"
ADMIN_PREFIX = ADMIN_ROOT + "/"
# Names a local run and the tests use, trusted besides SITE_URL's host when
# TRUSTED_HOSTS is not set.
LOCAL_HOSTS = ("localhost", "127.0.0.1")
UNTRUSTED_HOST = "请求的主机名不属于本网站。"


def init_app(app: Flask) -> None:
    """Trust the proxies and hosts the settings name, limit bodies, add the headers."""
    trust_proxy(app)
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = default_trusted_hosts(app.config["SITE_URL"])
    # On top of the request class the extensions chose (htmx-flask adds ``request.htmx``).
    app.request_class = type("Request", (ChunkedBodyLimit, app.request_class), {})

    @app.errorhandler(SecurityError)
    def untrusted_host(_error):
        # Plain text: nothing may build a URL from a Host the site does not own.
        return Response(UNTRUSTED_HOST, 400, mimetype="text/plain")

    hsts = f"max-age={app.config['HSTS_SECONDS']}" if app.config["HSTS_SECONDS"] else None

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        # One pass over the names a view set, not a lookup (and a KeyError) per header.
        present = {name.lower() for name, _value in headers}
        for name, lower, value in HEADERS:
            if lower not in present:
                headers.add(name, value)
        path = request.path
        if path == ADMIN_ROOT or path.startswith(ADMIN_PREFIX):
            headers["Cache-Control"] = "no-store"  # staff pages stay out of every cache
        if hsts and request.is_secure and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", hsts)
        return response


def secure_cookies(app: Flask) -> bool:
    """Whether cookies set in this request must be ``Secure`` (the session's also ``__Host-``).

    ``SESSION_COOKIE_SECURE`` decides when set; left at None they are for a site whose
    ``PREFERRED_URL_SCHEME`` is https and for a request that came over HTTPS, directly or
    through a trusted proxy (ProxyFix, ``TRUST_PROXY``). A browser sends a Secure cookie
    over HTTPS only, so the requests that carry a session always agree on its name.
    """
    setting = app.config["SESSION_COOKIE_SECURE"]
    if setting is not None:
        return bool(setting)
    return app.config["PREFERRED_URL_SCHEME"] == "https" or request.is_secure


def default_trusted_hosts(site_url: str) -> list[str]:
    """The host of ``SITE_URL`` and the local names: what a request's Host may be."""
    host = urlsplit(site_url).hostname
    return list(dict.fromkeys([host, *LOCAL_HOSTS] if host else LOCAL_HOSTS))


def trust_proxy(app: Flask) -> None:
    """Believe ``TRUST_PROXY`` proxies' X-Forwarded-For/-Proto/-Port/-Prefix, and
    X-Forwarded-Host from ``TRUST_PROXY_HOST`` of them only (it names the site in links).

    A forwarded address that is not an IP address is ignored for the peer's.
    """
    hops, host_hops = int(app.config["TRUST_PROXY"] or 0), int(app.config["TRUST_PROXY_HOST"] or 0)
    if hops or host_hops:
        checked = CheckedClientAddress(app.wsgi_app)
        app.wsgi_app = ProxyFix(
            checked, x_for=hops, x_proto=hops, x_port=hops, x_prefix=hops, x_host=host_hops
        )


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class CheckedClientAddress:
    """WSGI middleware inside ProxyFix: the client address it took from X-Forwarded-For is
    used only when it is an IP address; anything else falls back to the connection's peer,
    so junk never reaches the rate limits or the stored messages."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if not is_ip_address(environ.get("REMOTE_ADDR") or ""):
            original = environ.get("werkzeug.proxy_fix.orig", {})
            environ["REMOTE_ADDR"] = original.get("REMOTE_ADDR")
        return self.wsgi_app(environ, start_response)


class _BodyOverLimit(LimitedStream):
    """A chunked body read up to ``max_content_length``, then checked for one byte more.

    Werkzeug stops reading a stream without Content-Length at the limit and hands on what
    it read, so a form sent chunked would be cut silently; this raises 413 instead.
    """

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class ChunkedBodyLimit(Request):
    """A request whose body limit holds for chunked bodies as for Content-Length."""

    @cached_property
    def stream(self):
        limit = self.max_content_length
        chunked = self.content_length is None and "wsgi.input_terminated" in self.environ
        if self.shallow or not chunked or limit is None:
            return super().stream
        return _BodyOverLimit(self.environ["wsgi.input"], limit, is_max=True)
