"""Host and X-Forwarded-* headers: only what the deployment says to trust is trusted."""

import http.client

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Message
from tests.conftest import migrated_app
from tests.helpers import started_token
from tests.live import live_server

MESSAGE = {
    "name": "王小明",
    "phone": "13812345678",
    "category": "贸易指南",
    "content": "请问出口许可证怎么办理?",
}


@pytest.fixture
def proxied(tmp_path, monkeypatch):
    """Build an app (on its own SQLite file) with ``config`` over the test defaults."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    made = []

    def make(**config):
        app = migrated_app(tmp_path / f"p{len(made)}.db", CONSULT_MIN_FILL_SECONDS=0, **config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_another_host_gets_400_not_a_redirect_to_it(client):
    response = client.get("/news", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "evil.example" not in response.get_data(as_text=True)


def test_the_sites_own_host_is_trusted_by_default(proxied):
    app = proxied(SITE_URL="https://portal.example.org.cn")
    client = app.test_client()
    response = client.get("/news", headers={"Host": "portal.example.org.cn"})
    assert response.status_code == 308
    assert response.headers["Location"].endswith("portal.example.org.cn/news/")
    assert client.get("/news/", headers={"Host": "evil.example"}).status_code == 400


def test_trusted_hosts_is_a_setting(proxied):
    app = proxied(TRUSTED_HOSTS=["www.ccpit.example", ".ccpit.example"])
    client = app.test_client()
    assert client.get("/news/", headers={"Host": "www.ccpit.example"}).status_code == 200
    assert client.get("/news/", headers={"Host": "en.ccpit.example"}).status_code == 200
    assert client.get("/news/", headers={"Host": "localhost"}).status_code == 400


def test_x_forwarded_host_is_ignored_unless_configured(proxied):
    app = proxied(TRUST_PROXY=1)
    response = app.test_client().get("/news", headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 308
    assert "evil.example" not in response.headers["Location"]


def test_a_configured_x_forwarded_host_must_still_be_trusted(proxied):
    app = proxied(TRUST_PROXY=1, TRUST_PROXY_HOST=1, TRUSTED_HOSTS=["portal.example.org.cn"])
    client = app.test_client()
    ok = client.get("/news", headers={"X-Forwarded-Host": "portal.example.org.cn"})
    assert ok.headers["Location"] == "http://portal.example.org.cn/news/"
    assert client.get("/news", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400


def post_message(client, **kwargs):
    """Send the consultation form as a visitor does: open it, then post it."""
    started = started_token(client, **kwargs)
    return client.post("/consult", data={**MESSAGE, "started": started}, **kwargs)


def stored_ip(app) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Message.ip).order_by(Message.id.desc()))


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8::7", "2001:db8::7"),
        ("not-an-address", "10.9.8.7"),
        ("<script>alert(1)</script>", "10.9.8.7"),
        ("203.0.113.9:5555", "10.9.8.7"),
        ("999.1.1.1", "10.9.8.7"),
    ],
)
def test_a_forwarded_address_is_used_only_when_it_is_an_ip_address(proxied, forwarded, expected):
    app = proxied(TRUST_PROXY=1)
    response = post_message(
        app.test_client(),
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 303
    assert stored_ip(app) == expected


def test_rate_limits_count_the_peer_when_the_forwarded_address_is_junk(proxied):
    app = proxied(TRUST_PROXY=1, CONSULT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    codes = [
        post_message(
            client,
            headers={"X-Forwarded-For": f"junk-{n}"},
            environ_base={"REMOTE_ADDR": "10.9.8.7"},
        ).status_code
        for n in range(3)
    ]
    assert codes == [303, 303, 429]


def test_gunicorn_does_not_trust_forwarded_proto_without_trust_proxy(database_url):
    """gunicorn on its own believes X-Forwarded-Proto from 127.0.0.1; it must not."""
    with live_server(database_url, workers=1, seed=False) as server:
        port = int(server.url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/", headers={"X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Strict-Transport-Security") is None
