"""One place that decides whether a response is a whole page or an htmx fragment."""

from flask import Response, make_response, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """True for an htmx request that is neither boosted nor a history restore."""
    return bool(request.htmx) and not (request.htmx.boosted or request.htmx.history_restore_request)


def render_page(template: str, block: str | None = None, **context) -> Response:
    """Render ``template`` whole, or only its ``block`` when htmx asks for a fragment.

    The answer depends on the ``HX-Request`` header, so caches are told so with ``Vary``.
    """
    if block and wants_fragment():
        response = make_response(render_block(template, block, **context))
    else:
        response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response
