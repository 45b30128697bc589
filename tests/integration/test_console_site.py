"""The console is served like the page: at /console, with CloudFront's headers, from this origin only."""
from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from portal import infra
from portal.site_server import SITE_DIR, SiteServer

CONSOLE = SITE_DIR / "console"
# src=/href= to another host, url(//...) in CSS, an import from a URL
OTHER_ORIGIN = r"""(?:src|href)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|import\(?\s*["']https?:"""


def test_cloudfront_and_the_demo_serve_the_console_at_slash_console() -> None:
    routes = infra.site_routes()
    assert routes["/console"] == routes["/console/"] == "/console/index.html"


def test_the_demo_serves_the_console_and_its_modules_with_the_pages_headers() -> None:
    server = SiteServer("127.0.0.1", 0, "http://127.0.0.1:9")
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(f"{base}/console") as answer:
            page = answer.read().decode()
            headers = dict(answer.headers)
        assert '<script type="module" src="/console/app.js">' in page
        expected = infra.site_headers("http://127.0.0.1:9", None)
        assert {k: headers[k] for k in expected} == expected
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "connect-src 'self' http://127.0.0.1:9" in csp  # the console calls the API from the browser
        for module in ("app.js", "vendor/htm-preact.js", "screens/today.js"):
            with urllib.request.urlopen(f"{base}/console/{module}") as answer:
                assert answer.headers["Content-Type"].split(";")[0] in ("text/javascript", "application/javascript")
    finally:
        server.stop()


def test_the_console_loads_nothing_from_another_origin() -> None:
    sources = [p for p in CONSOLE.rglob("*") if p.suffix in (".js", ".html", ".css")]
    assert sources
    for path in sources:
        text = path.read_text()
        urls = set(re.findall(OTHER_ORIGIN, text))
        assert not urls, f"{path.relative_to(CONSOLE)} loads from another origin: {urls}"
        if "vendor" not in path.parts:  # our code never writes markup from strings
            assert "innerHTML" not in text and "dangerouslySetInnerHTML" not in text, path


def test_the_vendored_framework_ships_with_its_licences() -> None:
    licence = (CONSOLE / "vendor" / "LICENSE").read_text()
    assert "Apache License" in licence and "MIT License" in licence
    assert Path(CONSOLE / "vendor" / "htm-preact.js").read_text().startswith("/* htm 3.1.1")
