"""Helpers shared by several test modules."""

from typing import NamedTuple

import pytest
from flask import url_for

from app import create_app


class Route(NamedTuple):
    endpoint: str
    rule: str
    method: str
    url: str  # with 1 for every URL argument


def routes(endpoint_prefix: str = "", path_prefix: str = "") -> list[Route]:
    """Every route of the URL map whose endpoint and path start as given, one per method."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith(endpoint_prefix) and rule.rule.startswith(path_prefix):
                url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    found.append(Route(rule.endpoint, rule.rule, method, url))
    return found


def route_params(endpoint_prefix: str = "", path_prefix: str = "", skip=()) -> list:
    """``routes`` as ``pytest.param(method, url)``, named "METHOD /rule"."""
    return [
        pytest.param(r.method, r.url, id=f"{r.method} {r.rule}")
        for r in routes(endpoint_prefix, path_prefix)
        if r.endpoint not in skip
    ]
