"""The broker console's first screen: HTML + CSS + JS (+ the reader's strings), gzipped, at most 60 KB.

What counts: /console/index.html, its stylesheet, every ES module the app imports statically from its entry
(the whole module graph, vendored Preact + htm included: the browser fetches them all before the first
render), and the largest of the shell's translation files. Modules loaded only by `import()` when a screen
opens are listed apart and do not count. config.json and the API's answers are data. Sizes are gzip level 9.

    python bench/console_budget.py     # exits 1 when over budget
"""
from __future__ import annotations

import re
import sys
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page_budget import gzipped, linked  # noqa: E402  (bench/ scripts run as files, not a package)

SITE = Path(__file__).resolve().parent.parent / "site"
PAGE = SITE / "console" / "index.html"
BUDGET = 60 * 1024
STATIC = re.compile(r"""(?:^|[;\s])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']""", re.M)
DYNAMIC = re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)""")


def resolve(module: str, spec: str) -> str:
    base = PurePosixPath(module).parent
    return str(PurePosixPath(spec.lstrip("/")) if spec.startswith("/") else (base / spec)).replace("/./", "/")


def normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def module_graph(entries: list[str]) -> tuple[list[str], list[str]]:
    """(modules loaded before the first render, modules loaded later by import()), as site paths."""
    eager: list[str] = []
    lazy: set[str] = set()
    todo = list(entries)
    while todo:
        path = todo.pop(0)
        if path in eager:
            continue
        eager.append(path)
        source = (SITE / path).read_text()
        todo += [normalise(resolve(path, s)) for s in STATIC.findall(source)]
        lazy |= {normalise(resolve(path, s)) for s in DYNAMIC.findall(source)}
    return eager, sorted(lazy - set(eager))


def main() -> int:
    html = PAGE.read_text()
    assets = linked(html)
    entries = [a for a in assets if a.endswith(".js")]
    styles = [a for a in assets if not a.endswith(".js")]
    modules, later = module_graph(entries)
    files = ["console/index.html", *styles, *modules]
    shell_strings = [p for p in (SITE / "console" / "i18n").glob("*.json") if re.fullmatch(r"[a-z]{2}\.json", p.name)]
    largest = max(shell_strings, key=gzipped)
    rows = [(f, (SITE / f).stat().st_size, gzipped(SITE / f)) for f in files]
    rows.append((f"{largest.relative_to(SITE)} (largest language)", largest.stat().st_size, gzipped(largest)))
    print("First screen of /console: gzip -9 sizes")
    for name, raw, packed in rows:
        print(f"  {name:<44} {raw:>7,} B raw  {packed:>7,} B gzip")
    total = sum(packed for _, _, packed in rows)
    verdict = "within" if total <= BUDGET else "OVER"
    print(f"  {'total':<44} {total:>7,} B gzip  ({total / 1024:.1f} KB of {BUDGET // 1024} KB: {verdict})")
    if later:  # each lazy screen with the modules only it needs
        for entry in later:
            own = [m for m in module_graph([entry])[0] if m not in modules]
            size = sum(gzipped(SITE / m) for m in own)
            print(f"  later, when it opens: {entry} + {len(own) - 1} modules it imports ({size:,} B gzip)")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
