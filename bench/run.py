"""Benchmark the portal under gunicorn against a minimal Flask app, and check nothing is lost.

Usage: ``.venv/bin/python bench/run.py [--smoke] [--requests N] [--only SCENARIO]``
(``make bench``). SQLite always; PostgreSQL as well when ``DATABASE_URL`` is set (that
database is emptied first). Load comes from ApacheBench (``ab``) in its own process at 16
connections with a fixed request count, so every request sent is answered and the counts
can be checked exactly. Each scenario runs right after a run of the hello app, and its
ratio is taken against that adjacent baseline. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is first on the path, not the repo
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.models import CATEGORIES, Article, Message  # noqa: E402
from bench.dataset import Filled, fill  # noqa: E402
from tests.live import _wait_until_up, flask_command, free_port  # noqa: E402

BIN = Path(sys.executable).parent
CONCURRENCY = 16
WORKERS = 2
PER_PAGE = 20  # ARTICLES_PER_PAGE, the app's default
DEEP_PAGE = 200
BROWSER_HEADERS = ["Accept-Encoding: gzip, deflate, br", "Accept: text/html"]
APP_CONFIG = {  # FLASK_* settings of the app under test
    "FLASK_SECRET_KEY": "bench-secret",
    "FLASK_CONSULT_RATE_LIMIT": "100000 per minute",
    "FLASK_CONSULT_MIN_FILL_SECONDS": "0",
}
ADMIN_NAME, ADMIN_PASSWORD = "bench-admin", "bench-password-1234"
SIZES = {  # articles, messages, requests per scenario
    "full": (100_000, 10_000, 3000),
    "smoke": (300, 50, 200),
}
TARGETS = {
    "article_ratio": 0.5,
    "article_p99_ms": 25.0,
    "deep_page_within": 0.2,
    "consult_rps": 300.0,
    "worker_rss_mb": 80.0,
    "search_p50_ms": 20.0,
}
# The site search's query mix: one and two characters, four-character words, Latin, a number.
SEARCH_QUERIES = [
    "税", "港", "关税", "退税", "汇率", "贸易", "出口退税", "风险预警", "跨境电商", "原产地证",
    "RCEP", "ATA", "2024",
]  # fmt: skip
SEARCH_ROUNDS = {"full": 20, "smoke": 3}  # times each query is timed


@dataclass
class Server:
    """A gunicorn master serving on ``url``."""

    url: str
    pid: int

    def workers(self) -> dict[Path, list[str]]:
        """The worker processes' /proc folders and the fields of their stat files."""
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process is gone
                continue
            if int(fields[1]) == self.pid:  # the 4th field of stat: the parent's pid
                found[stat.parent] = fields
        return found

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process, in MB."""
        sizes = []
        for folder in self.workers():
            status = (folder / "status").read_text()
            kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
            sizes.append(round(kb / 1024, 1))
        return sorted(sizes)

    def cpu_seconds(self) -> float:
        """User and system CPU time the workers have used so far, recycled ones included.

        CPU per request hardly changes when other programs compete for the cores, unlike
        requests per second, so it is the steadier figure on a shared machine. Workers
        that gunicorn replaced (``max_requests``) count through the master's cutime/cstime.
        """
        master = (Path("/proc") / str(self.pid) / "stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(master[13]) + int(master[14])  # cutime, cstime: reaped workers
        ticks += sum(int(f[11]) + int(f[12]) for f in self.workers().values())  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def largest_worker_mb(self) -> float:
        return max(self.worker_rss_mb(), default=0.0)


@contextmanager
def gunicorn(app_spec: str, env: dict) -> Iterator[Server]:
    """Serve ``app_spec`` with the repository's gunicorn.conf.py and 2 workers."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
        "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", app_spec,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            _wait_until_up(f"http://127.0.0.1:{port}", server, log)
            yield Server(f"http://127.0.0.1:{port}", server.pid)
        finally:
            server.terminate()
            server.wait(timeout=15)


@dataclass
class Load:
    """What one ``ab`` run measured."""

    sent: int
    ok: int  # 2xx answers
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float = 0.0  # worker CPU time per request


def ab(
    url: str,
    requests: int,
    form: str | None = None,
    cookie: str | None = None,
    headers=(),
    seconds: int | None = None,
) -> Load:
    """Send ``requests`` requests to ``url`` over 16 connections; POST ``form`` when given.

    With ``seconds``, send for that long instead (at most 50,000 requests).
    """
    with tempfile.TemporaryDirectory() as tmp:
        percentiles = Path(tmp) / "percentiles.csv"
        amount = ["-n", str(requests)] if seconds is None else ["-t", str(seconds)]
        command = ["ab", "-q", "-r", "-l", *amount, "-c", str(CONCURRENCY)]
        command += ["-e", str(percentiles)]
        for header in [*BROWSER_HEADERS, *headers]:
            command += ["-H", header]
        if form is not None:
            (Path(tmp) / "form").write_text(form)
            command += ["-p", str(Path(tmp) / "form"), "-T", "application/x-www-form-urlencoded"]
        if cookie:
            command += ["-C", cookie]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        rows = dict(line.split(",") for line in percentiles.read_text().splitlines()[1:])

    def number(label: str) -> float:
        found = re.search(rf"^{label}:\s+([\d.]+)", output, re.M)
        return float(found.group(1)) if found else 0

    complete = int(number("Complete requests"))
    failed = number("Failed requests") + number("Non-2xx responses")
    return Load(
        sent=requests if seconds is None else complete,
        ok=max(0, int(complete - failed)),
        rps=number("Requests per second"),
        p50_ms=float(rows["50"]),
        p99_ms=float(rows["99"]),
    )


@dataclass
class Scenario:
    """One page or action under load, and what must hold afterwards."""

    key: str
    label: str
    path: str = ""
    form: str | None = None
    cookie: str | None = None
    headers: list[str] = field(default_factory=list)
    counter: sa.Select | None = None  # a number that must rise by the 2xx answers
    missing: str = ""  # why the scenario cannot run


@dataclass
class Result:
    key: str
    label: str
    app: Load | None = None
    baseline: Load | None = None
    ratio: float | None = None
    cpu_ratio: float | None = None  # hello's CPU per request over the scenario's
    check: str = ""  # PASS, FAIL or "" when nothing is counted
    counted: int | None = None
    note: str = ""


@dataclass
class Run:
    """Every figure of one database's run."""

    database: str
    dataset: dict
    results: list[Result] = field(default_factory=list)
    memory_mb: dict = field(default_factory=dict)  # largest worker's RSS after each scenario
    targets: list[dict] = field(default_factory=list)
    search: dict = field(default_factory=dict)  # the site search's query times (search_timings)


def feature_ready(package: str) -> bool:
    return (ROOT / "app" / package / "routes.py").exists()


def scenarios(server: Server, env: dict, filled: Filled) -> list[Scenario]:
    """The scenarios of the issue, with the counters their checks read."""
    pages = max(1, -(-filled.big_section_articles // PER_PAGE))
    deep = min(DEEP_PAGE, pages)
    section = f"/{filled.big_section}/"
    found = [
        Scenario(
            "article", "article page", f"/articles/{filled.hot_article}",
            counter=sa.select(Article.views).where(Article.id == filled.hot_article),
        ),
        Scenario("section-1", "section page 1", section),
        Scenario("section-200", f"section page {deep}", f"{section}?page={deep}"),
        Scenario("home", "home page", "/"),
        Scenario("poll", "view-count poll", f"/articles/{filled.hot_article}/views"),
        Scenario("search", "search page", "/search?" + urlencode({"q": "退税"})),
    ]  # fmt: skip
    consult = Scenario(
        "consult", "consultation submission",
        counter=sa.select(sa.func.count(Message.id)),
    )  # fmt: skip
    if feature_ready("consult"):
        prepare_consult(consult, server)
    else:
        consult.missing = "not available: app/consult/routes.py does not exist yet"
    admin = Scenario("admin", "admin inbox, filtered")
    if feature_ready("admin"):
        prepare_admin(admin, server, env)
    else:
        admin.missing = "not available: app/admin/routes.py does not exist yet"
    return [*found, admin, consult]  # the inbox first, as the data set made it


class Inputs(HTMLParser):
    """The ``<input>`` fields of a page, by name, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.values[found["name"]] = found.get("value") or ""


class Browser:
    """A cookie jar and the requests the scenarios need to set themselves up."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def inputs(self, path: str) -> dict[str, str]:
        """GET ``path`` and return its form's inputs (CSRF token, signed fields)."""
        with self.opener.open(self.base + path, timeout=10) as response:
            parser = Inputs()
            parser.feed(response.read().decode())
        return parser.values

    def post(self, path: str, form: str, headers: dict | None = None) -> tuple[int, str]:
        """POST an urlencoded ``form``; return the final status and page."""
        request = urllib.request.Request(
            self.base + path, form.encode(), headers or {}, method="POST"
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def cookie(self) -> str:
        """The session cookie as ``ab -C`` takes it."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def prepare_consult(scenario: Scenario, server: Server) -> None:
    """A session, its CSRF token and a signed fill time; submissions as the dialog sends them."""
    browser = Browser(server.url)
    form = browser.inputs("/consult")
    form.update(
        name="张伟", phone="13812345678", email="zhang.wei@example.cn", company="示例贸易有限公司",
        category=CATEGORIES[-1], content="请问出口原产地证书如何在线申请,需要准备哪些材料?",
        website="",
    )  # fmt: skip
    # ab repeats one body; with the form's idempotency key every repeat would be the same
    # submission (one message, one receipt). Real visitors get a fresh key with each form.
    form.pop("idempotency_key", None)
    scenario.path = "/consult"
    scenario.form = urlencode(form)
    scenario.cookie = browser.cookie()
    scenario.headers = ["HX-Request: true"]  # the widget's dialog posts with htmx: 200, no redirect
    status, page = browser.post("/consult", scenario.form, {"HX-Request": "true"})
    if status != 200 or "回执" not in page:
        scenario.missing = f"not available: a test submission answered {status}"


def prepare_admin(scenario: Scenario, server: Server, env: dict) -> None:
    """An account made with ``create-admin``, signed in; its inbox filtered as staff use it."""
    flask_command("create-admin", ADMIN_NAME, "--password", ADMIN_PASSWORD, env=env)
    browser = Browser(server.url)
    form = browser.inputs("/admin/login")
    form.update(username=ADMIN_NAME, password=ADMIN_PASSWORD)
    browser.post("/admin/login", urlencode(form))
    scenario.path = "/admin/messages?" + urlencode({"status": "pending", "category": CATEGORIES[0]})
    scenario.cookie = browser.cookie()
    try:
        with browser.opener.open(server.url + scenario.path, timeout=10) as response:
            signed_in = "/admin/login" not in response.url
    except urllib.error.HTTPError as error:
        signed_in = False
        scenario.missing = f"not available: the inbox answered {error.code}"
    if not signed_in and not scenario.missing:
        scenario.missing = "not available: signing in with the created account failed"


def measure(
    scenario: Scenario, app: Server, hello: Server, engine: sa.Engine, requests: int
) -> Result:
    """Warm up, run the hello baseline, then the scenario; check its counter."""
    result = Result(scenario.key, scenario.label)
    if scenario.missing:
        result.note = scenario.missing
        return result
    url = app.url + scenario.path
    warmup = max(CONCURRENCY, requests // 20)
    ab(hello.url + "/", warmup)
    result.baseline = timed_ab(hello, hello.url + "/", requests)
    sending = (scenario.form, scenario.cookie, scenario.headers)
    ab(url, warmup, *sending)
    before = read(engine, scenario.counter)
    result.app = timed_ab(app, url, requests, *sending)
    result.ratio = round(result.app.rps / result.baseline.rps, 3)
    result.cpu_ratio = round(result.baseline.cpu_ms / result.app.cpu_ms, 3)
    if scenario.counter is not None:
        result.counted = read(engine, scenario.counter) - before
        result.check = "PASS" if result.counted == result.app.ok else "FAIL"
    if result.app.ok < result.app.sent:
        result.note = f"{result.app.sent - result.app.ok} of {result.app.sent} not 2xx"
    return result


def timed_ab(server: Server, url: str, requests: int, *sending) -> Load:
    """``ab`` with the CPU time the server's workers spent on each request."""
    started = server.cpu_seconds()
    load = ab(url, requests, *sending)
    load.cpu_ms = round((server.cpu_seconds() - started) * 1000 / requests, 3)
    return load


def read(engine: sa.Engine, query: sa.Select | None) -> int:
    if query is None:
        return 0
    with engine.connect() as connection:
        return connection.scalar(query)


def evaluate(run: Run) -> list[dict]:
    """The issue's targets, met or not, from this run's figures."""
    by_key = {r.key: r for r in run.results if r.app}
    targets = []

    def target(name: str, value: str, met: bool | None) -> None:
        targets.append({"target": name, "measured": value, "met": met})

    if article := by_key.get("article"):
        target(
            f"article ≥ {TARGETS['article_ratio']}× hello req/s",
            f"{article.ratio:.2f}×", article.ratio >= TARGETS["article_ratio"],
        )  # fmt: skip
        target(
            f"article p99 < {TARGETS['article_p99_ms']:.0f} ms",
            f"{article.app.p99_ms:.1f} ms", article.app.p99_ms < TARGETS["article_p99_ms"],
        )  # fmt: skip
    first, deep = by_key.get("section-1"), by_key.get("section-200")
    if first and deep:
        share = deep.app.rps / first.app.rps
        target(
            f"{deep.label} within {TARGETS['deep_page_within']:.0%} of page 1 req/s",
            f"{share:.0%} of page 1", share >= 1 - TARGETS["deep_page_within"],
        )  # fmt: skip
    if consult := by_key.get("consult"):
        target(
            f"consultation ≥ {TARGETS['consult_rps']:.0f}/s, none lost",
            f"{consult.app.rps:.0f}/s, check {consult.check}",
            consult.app.rps >= TARGETS["consult_rps"] and consult.check == "PASS",
        )  # fmt: skip
    else:
        target(f"consultation ≥ {TARGETS['consult_rps']:.0f}/s, none lost", "not available", None)
    if run.search:
        target(
            f"search query p50 < {TARGETS['search_p50_ms']:.0f} ms",
            f"{run.search['p50_ms']:.1f} ms", run.search["p50_ms"] < TARGETS["search_p50_ms"],
        )  # fmt: skip
    if rss := run.memory_mb.get("app"):
        target(
            f"memory per worker < {TARGETS['worker_rss_mb']:.0f} MB",
            f"peak {max(rss):.1f} MB", max(rss) < TARGETS["worker_rss_mb"],
        )  # fmt: skip
    return targets


def print_run(run: Run) -> None:
    """The table of one database's run, its memory and its targets."""
    head = (
        f"{'scenario':<26}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'hello/s':>8}{'ratio':>7}"
        f"{'cpu ms':>8}{'hello':>7}{'ratio':>7}"
    )
    print(f"\n== {run.database}: {run.dataset['articles']:,} articles, "
          f"{run.dataset['messages']:,} messages, {CONCURRENCY} connections, "
          f"{WORKERS} gunicorn workers ==")  # fmt: skip
    print(head + "  check")
    for r in run.results:
        if r.app is None:
            print(f"{r.label:<26}{r.note}")
            continue
        check = f"{r.check}: +{r.counted} for {r.app.ok} ok" if r.check else ""
        print(
            f"{r.label:<26}{r.app.rps:>8.0f}{r.app.p50_ms:>8.1f}{r.app.p99_ms:>8.1f}"
            f"{r.baseline.rps:>8.0f}{r.ratio:>6.2f}×{r.app.cpu_ms:>8.2f}{r.baseline.cpu_ms:>7.2f}"
            f"{r.cpu_ratio:>6.2f}×  {check}" + (f"  ({r.note})" if r.note else "")
        )
    print("(cpu ms: CPU time of the gunicorn workers per request, the scenario's and hello's)")
    for name, sizes in run.memory_mb.items():
        print(
            f"memory per worker, {name}: peak {max(sizes):.1f} MB "
            f"(largest worker after each scenario: {', '.join(f'{s:.1f}' for s in sizes)})"
        )
    if run.search:
        print(
            f"site search, {len(SEARCH_QUERIES)} queries × {run.search['rounds']} in process: "
            f"p50 {run.search['p50_ms']:.1f} ms, p99 {run.search['p99_ms']:.1f} ms, slowest "
            + ", ".join(f"{q} {ms:.1f}" for q, ms in run.search["slowest"])
        )
    for t in run.targets:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        print(f"target {t['target']}: {t['measured']} → {verdict}")


def database_runs(tmp: Path) -> list[tuple[str, str]]:
    """SQLite in ``tmp``; and DATABASE_URL, emptied, when it is set."""
    runs = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")]
    if url := os.environ.get("DATABASE_URL"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        runs.append((engine.dialect.name, url))
    return runs


def bench_database(
    name: str, url: str, hello: Server, size: str, requests: int, only: str | None
) -> Run:
    """Prepare one database, serve the app on it and run every scenario."""
    articles, messages, _ = SIZES[size]
    env = {**os.environ, **APP_CONFIG, "DATABASE_URL": url}
    flask_command("init-db", env=env)
    started = time.monotonic()
    filled = fill(url, articles, messages)
    print(f"[{name}] data set written in {time.monotonic() - started:.1f} s", file=sys.stderr)
    run = Run(name, asdict(filled))
    engine = sa.create_engine(url)
    try:
        with gunicorn("wsgi:app", env) as app:
            for scenario in scenarios(app, env, filled):
                if only and scenario.key != only:
                    continue
                print(f"[{name}] {scenario.label}…", file=sys.stderr)
                run.results.append(measure(scenario, app, hello, engine, requests))
                # After each scenario: gunicorn recycles workers (max_requests), so the
                # last reading alone could be a fresh worker's.
                for name, server in (("app", app), ("hello", hello)):
                    run.memory_mb.setdefault(name, []).append(server.largest_worker_mb())
    finally:
        engine.dispose()
    if not only or only == "search":
        print(f"[{run.database}] site search queries…", file=sys.stderr)
        run.search = search_timings(url, SEARCH_ROUNDS[size])
    run.targets = evaluate(run)
    return run


def search_timings(url: str, rounds: int) -> dict:
    """Time the site search itself (count, rank, load one page) for each of SEARCH_QUERIES.

    In this process, through the app's own function, so the figure is the query's and not
    the page's (the "search page" scenario gives the whole request under load).
    """
    from statistics import median, quantiles

    from app import create_app
    from app.extensions import db
    from app.models.base import utcnow
    from app.search.index import Filters, SearchQuery, search

    outer = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url  # create_app prefers it to its config: this run's database
    try:
        app = create_app({"SECRET_KEY": "bench"})
    finally:
        if outer is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = outer
    times: dict[str, list[float]] = {query: [] for query in SEARCH_QUERIES}
    with app.app_context():
        for _ in range(rounds):
            for query in SEARCH_QUERIES:
                started = time.perf_counter()
                search(SearchQuery.parse(query), Filters(), 1, PER_PAGE, utcnow())
                times[query].append((time.perf_counter() - started) * 1000)
                db.session.rollback()
        db.engine.dispose()
    every = sorted(ms for measured in times.values() for ms in measured)
    slowest = sorted(((q, median(ms)) for q, ms in times.items()), key=lambda x: -x[1])[:3]
    return {
        "queries": SEARCH_QUERIES,
        "rounds": rounds,
        "p50_ms": round(median(every), 2),
        "p99_ms": round(quantiles(every, n=100)[98] if len(every) > 1 else every[0], 2),
        "slowest": [(q, round(ms, 2)) for q, ms in slowest],
        "median_ms": {q: round(median(ms), 2) for q, ms in times.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data set, few requests")
    parser.add_argument("--requests", type=int, help="requests per scenario and baseline")
    parser.add_argument("--only", metavar="SCENARIO", help="article, section-1, section-200, "
                        "home, poll, search, consult or admin")  # fmt: skip
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results",
                        help="folder for the JSON results")  # fmt: skip
    args = parser.parse_args(argv)
    if not shutil.which("ab"):
        print("ab (ApacheBench) is missing: apt-get install apache2-utils", file=sys.stderr)
        return 2
    size = "smoke" if args.smoke else "full"
    requests = args.requests or SIZES[size][2]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, ExitStack() as stack:
        hello = stack.enter_context(gunicorn("bench.hello:app", dict(os.environ)))
        for name, url in database_runs(Path(tmp)):
            try:
                run = bench_database(name, url, hello, size, requests, args.only)
            except subprocess.CalledProcessError as error:
                print(
                    f"{' '.join(error.cmd)} failed:\n{error.stdout}{error.stderr}", file=sys.stderr
                )
                return 2
            print_run(run)
            runs.append(run)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.results.mkdir(parents=True, exist_ok=True)
    report = args.results / f"{stamp}.json"
    report.write_text(
        json.dumps(
            {
                "started": stamp,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "size": size,
                "requests_per_scenario": requests,
                "concurrency": CONCURRENCY,
                "workers": WORKERS,
                "runs": [asdict(run) for run in runs],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nresults: {report}")
    failed = [r.label for run in runs for r in run.results if r.check == "FAIL"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
