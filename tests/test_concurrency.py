"""Views counted under real concurrency: gunicorn with several workers, many threads."""

import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.live import live_server

THREADS = 16
REQUESTS_PER_THREAD = 100


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_concurrent_views_are_all_counted(database_url):
    with live_server(database_url, workers=4) as server:
        article = server.url + "/articles/1"
        poll = article + "/views"
        before = int(re.search(r">(\d+)</span>", fetch(poll)[1]).group(1))

        def hammer(_thread: int) -> list[int]:
            return [fetch(article)[0] for _ in range(REQUESTS_PER_THREAD)]

        with ThreadPoolExecutor(THREADS) as pool:
            statuses = [s for batch in pool.map(hammer, range(THREADS)) for s in batch]
        after = int(re.search(r">(\d+)</span>", fetch(poll)[1]).group(1))

    assert statuses.count(200) == THREADS * REQUESTS_PER_THREAD
    assert after - before == THREADS * REQUESTS_PER_THREAD
