"""The pay page's first-render budget: HTML + CSS + JS (+ the customer's language), gzipped, at most 14 KB.

What counts: the page itself, every stylesheet and script it links, and, for a customer who does not read
English, the largest of the translation files (English is built into the script). config.json and the API's
answer are data, not page weight. Sizes are gzip level 9 (what a CDN sends; brotli would be smaller).

    python bench/page_budget.py [--page site/pay.html]    # exits 1 when over budget
"""
from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "site"
BUDGET = 14 * 1024


def linked(html: str) -> list[str]:
    """Stylesheets and scripts the page loads itself, as site paths."""
    tags = re.findall(r"<(?:link|script)\b[^>]*>", html)
    paths = []
    for tag in tags:
        if tag.startswith("<link") and 'rel="stylesheet"' not in tag:
            continue
        match = re.search(r'(?:href|src)="([^"]+)"', tag)
        if match and not re.match(r"[a-z]+:", match.group(1)):
            paths.append(match.group(1).lstrip("/"))
    return paths


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, default=SITE / "pay.html")
    args = parser.parse_args(argv)
    page: Path = args.page
    site = page.parent
    files = [page] + [site / p for p in linked(page.read_text())]
    translations = sorted(site.glob("i18n/*.json"), key=gzipped)
    rows = [(str(f.relative_to(site)), f.stat().st_size, gzipped(f)) for f in files]
    if translations:
        largest = translations[-1]
        rows.append((f"{largest.relative_to(site)} (largest language)", largest.stat().st_size, gzipped(largest)))
    print(f"First render of /{page.name}: gzip -9 sizes")
    for name, raw, packed in rows:
        print(f"  {name:<34} {raw:>7,} B raw  {packed:>7,} B gzip")
    total = sum(packed for _, _, packed in rows)
    english = sum(packed for name, _, packed in rows if not name.startswith("i18n/"))
    verdict = "within" if total <= BUDGET else "OVER"
    print(f"  {'total, English customer':<34} {english:>7,} B gzip")
    share = f"{total / 1024:.1f} KB of {BUDGET // 1024} KB: {verdict}"
    print(f"  {'total, worst language':<34} {total:>7,} B gzip  ({share})")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
