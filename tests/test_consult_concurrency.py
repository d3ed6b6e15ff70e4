"""Consultations under real concurrency: gunicorn with four workers, many threads at once."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Message
from tests.live import live_server
from tests.test_consult import RECEIPT

THREADS = 10
PER_THREAD = 20


class Visitor:
    """A browser without JavaScript: its own cookies, and the tokens of the form it opened."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar)
        page = self.opener.open(base_url + "/consult", timeout=30).read().decode()
        self.tokens = {
            name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)
            for name in ("csrf_token", "started")
        }

    def send(self, content: str) -> tuple[int, str | None]:
        """Post a valid question; return the final status and the receipt it showed."""
        form = self.tokens | {
            "name": "并发测试",
            "phone": "021-62345678",
            "category": "其他",
            "content": content,
        }
        request = urllib.request.Request(
            self.base_url + "/consult", data=urllib.parse.urlencode(form).encode()
        )
        try:
            with self.opener.open(request, timeout=60) as response:  # follows the 303
                found = RECEIPT.search(response.read().decode())
                return response.status, found.group(1) if found else None
        except urllib.error.HTTPError as error:
            return error.code, None


def stored_messages(server) -> list[tuple[str, str]]:
    """(receipt, content) of every message in the live server's database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": server.env["DATABASE_URL"], "SECRET_KEY": "x"})
    with app.app_context():
        rows = db.session.execute(sa.select(Message.receipt, Message.content)).all()
        db.engine.dispose()
    return [tuple(row) for row in rows]


def test_200_submissions_from_10_threads_are_all_stored_with_distinct_receipts(database_url):
    with live_server(
        database_url,
        workers=4,
        seed=False,
        CONSULT_RATE_LIMIT="1000 per minute",
        CONSULT_MIN_FILL_SECONDS=0,
    ) as server:

        def visitor(thread: int) -> list[tuple[int, str | None]]:
            person = Visitor(server.url)
            return [person.send(f"并发测试留言：线程{thread}第{n}条") for n in range(PER_THREAD)]

        with ThreadPoolExecutor(THREADS) as pool:
            results = [result for batch in pool.map(visitor, range(THREADS)) for result in batch]
        messages = stored_messages(server)

    statuses = [status for status, _receipt in results]
    shown = [receipt for _status, receipt in results]
    assert statuses == [200] * THREADS * PER_THREAD  # no 5xx, no 429: every one confirmed
    assert len(messages) == THREADS * PER_THREAD
    assert len(set(shown)) == THREADS * PER_THREAD
    assert set(shown) == {receipt for receipt, _content in messages}
    assert {content for _receipt, content in messages} == {
        f"并发测试留言：线程{t}第{n}条" for t in range(THREADS) for n in range(PER_THREAD)
    }


def test_the_rate_limit_holds_across_gunicorn_workers(database_url):
    with live_server(
        database_url,
        workers=4,
        seed=False,
        CONSULT_RATE_LIMIT="5 per 10 minutes",
        CONSULT_MIN_FILL_SECONDS=0,
    ) as server:
        visitors = [Visitor(server.url) for _ in range(4)]
        with ThreadPoolExecutor(10) as pool:
            results = list(
                pool.map(lambda n: visitors[n % 4].send(f"频率限制测试留言第{n}条"), range(20))
            )
        messages = stored_messages(server)

    statuses = sorted(status for status, _receipt in results)
    assert statuses == [200] * 5 + [429] * 15
    assert len(messages) == 5
