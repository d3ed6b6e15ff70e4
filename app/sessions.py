"""Sessions read only by the requests that use them.

Flask opens the session of every request: it finds the cookie, checks its signature and
decodes it before the view runs, and Flask-Login then loads the signed-in account for any
template. A public page uses neither, yet a visitor who once sent a consultation (or a
staff member browsing the site) would pay for both on every page, and get the session's
``Vary: Cookie`` and, for a permanent session, a fresh ``Set-Cookie`` back.

Here the session is a :class:`LazySession`: the cookie is decoded on the first read or
write of its contents, and a session never read is never saved (no ``Set-Cookie``, no
``Vary: Cookie``), so a public page costs nothing of it. Flask-Login's template variable
``current_user`` is a proxy loaded on use, and its remember-cookie hook is skipped when
the session was never read (only a request that read it can have asked for the cookie).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, Response, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, current_user
from itsdangerous import BadSignature


class LazySession(SecureCookieSession):
    """A cookie session whose contents come from ``loader`` on first use.

    ``loaded`` tells whether anything read or wrote it; the interface saves only a loaded
    session. Loading does not mark it modified.
    """

    def __init__(self, loader: Callable[[], Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        self._loader = loader

    @property
    def loaded(self) -> bool:
        return self._loader is None

    def load(self) -> None:
        """Decode the cookie now (once)."""
        loader, self._loader = self._loader, None
        if loader is not None:
            dict.update(self, loader())  # the dict's own update: not a change to save


def _loading_first(name: str):
    method = getattr(SecureCookieSession, name)

    @functools.wraps(method)
    def loading_first(self: LazySession, *args, **kwargs):
        if self._loader is not None:
            self.load()
        return method(self, *args, **kwargs)

    return loading_first


# Every way to read or change the contents; ``permanent`` and ``get`` go through these.
for _name in (
    "__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__len__",
    "__reversed__", "__eq__", "__ne__", "__repr__", "__or__", "__ior__", "get", "keys",
    "values", "items", "copy", "pop", "popitem", "setdefault", "update", "clear",
):  # fmt: skip
    setattr(LazySession, _name, _loading_first(_name))


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, decoded on first use and saved only when used."""

    session_class = LazySession

    def open_session(self, app: Flask, request: Request) -> LazySession | None:
        if not app.secret_key:
            return None
        name = self.get_cookie_name(app)  # may depend on the request: asked while it is current
        return self.session_class(functools.partial(self._decode, app, request, name))

    def _decode(self, app: Flask, request: Request, name: str) -> dict[str, Any]:
        """What the session cookie holds: nothing if missing, forged or expired."""
        value = request.cookies.get(name)
        if not value:
            return {}
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            return self.get_signing_serializer(app).loads(value, max_age=max_age)
        except BadSignature:
            return {}

    def save_session(self, app: Flask, session: LazySession, response: Response) -> None:
        if session.loaded:
            super().save_session(app, session, response)


def session_loaded() -> bool:
    """Whether this request read or wrote its session (so far)."""
    return getattr(session, "loaded", False)


class StaffLoginManager(LoginManager):
    """Flask-Login, loading the account only for requests that ask for it.

    Its own template variable would load the account for every template rendered, and its
    after-request hook would read every request's session.
    """

    def init_app(self, app: Flask, add_context_processor: bool = True) -> None:
        super().init_app(app, add_context_processor=False)
        if add_context_processor:
            app.context_processor(_current_user)

    def _update_remember_cookie(self, response: Response) -> Response:
        if not session_loaded():
            return response
        return super()._update_remember_cookie(response)


def _current_user() -> dict:
    return {"current_user": current_user}  # a proxy: the account loads when a page uses it
