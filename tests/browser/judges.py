"""Page-quality judges from npm: axe-core in the page, the Nu HTML checker on the markup."""

import json
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


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
