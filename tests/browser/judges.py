"""Page-quality judges from npm: axe-core in the page, the Nu HTML checker on the markup,
Lighthouse on a served page."""

import json
import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
LIGHTHOUSE_TARGET = 95  # every category, every page checked
LIGHTHOUSE_PAGES = {
    "home": "/",
    "section": "/news/",
    "article": "/articles/1",
    "search": "/search?q=退税",
    "sitemap": "/sitemap.html",
}
LIGHTHOUSE_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync"
)


def axe_violations(page) -> list[str]:
    """Run axe-core (WCAG 2.x A/AA and best practices) on the page; describe each violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated through DevTools, so the CSP does not block it
    violations = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']})"
        ".then(r => r.violations.map(v => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return [f"{v['id']}: {v['help']} at {v['nodes'][:3]}" for v in violations]


def nu_errors(documents: dict[str, str]) -> list[str]:
    """Check whole HTML documents with vnu.jar; return its errors, named by document."""
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for name, html in documents.items():
            path = Path(folder) / f"{len(paths)}.html"
            path.write_text(html, encoding="utf-8")
            paths[str(path)] = name
        result = subprocess.run(
            ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *paths],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [
        f"{paths.get(m.get('url', '').removeprefix('file:'), m.get('url'))}: "
        f"{m.get('message')} «{m.get('extract', '')}»"
        for m in messages
    ]


def lighthouse_scores(url: str, report: Path, attempts: int = 3) -> dict[str, int]:
    """Run Lighthouse (Debian's Chromium) on one URL; return its category scores out of 100.

    Lighthouse itself now and then fails to record a page load ("NO_NAVSTART"): such a
    run, which yields no scores at all, is repeated; a low score never is.
    """
    command = [
        str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
        f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
        f"--chrome-flags={LIGHTHOUSE_FLAGS}",
    ]  # fmt: skip
    env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
    for attempt in range(1, attempts + 1):
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
        if run.returncode == 0:
            break
        if attempt == attempts:
            raise AssertionError(f"Lighthouse failed {attempts} times on {url}: {run.stderr}")
    categories = json.loads(report.read_text())["categories"]
    return {name: round(categories[name]["score"] * 100) for name in LIGHTHOUSE_CATEGORIES}


def lighthouse_below_target(base_url: str, folder: Path) -> tuple[dict[str, dict], list[str]]:
    """Score every page of ``LIGHTHOUSE_PAGES``; return the scores and what fell short."""
    results = {
        name: lighthouse_scores(base_url + path, folder / f"{name}.json")
        for name, path in LIGHTHOUSE_PAGES.items()
    }
    low = [
        f"{page} {category} {score}"
        for page, row in results.items()
        for category, score in row.items()
        if score < LIGHTHOUSE_TARGET
    ]
    return results, low
