#!/usr/bin/env bash
# Lighthouse against the demo with Debian's Chromium: the pay page (mobile, simulated throttling) and the broker
# console (desktop: its sign-in screen, then Today and Receivables signed in as the demo owner).
# Prints the performance, accessibility and best-practices scores (targets: >= 95, 100, 100) and the
# main timings; the full reports are kept in build/lighthouse/.
#
#   bench/lighthouse.sh            (or: make lighthouse)
#
# Needs node/npx (Lighthouse comes from the npm registry: lighthouse@12; the console's signed-in run drives it
# through its Node API, installed once into build/lighthouse/node) and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
CHROME_PATH=${CHROME_PATH:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROME_PATH" ] || { echo "chromium is missing: make chromium" >&2; exit 2; }
command -v npx >/dev/null || { echo "npx is missing: install node (apt-get install npm)" >&2; exit 2; }
export CHROME_PATH
FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
--disable-component-update --disable-sync"
OUT=build/lighthouse
mkdir -p "$OUT"

work=$(mktemp -d)
demo_pid=
cleanup() {
  if [ -n "$demo_pid" ]; then kill -INT "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh demo on free ports, in its own data directory.
"$PY" -m portal demo --api-port 0 --site-port 0 --aws-port 0 --data-dir "$work/.portal" \
  >"$work/demo.out" 2>"$work/demo.log" &
demo_pid=$!
for _ in $(seq 1 240); do
  grep -q '^portal demo ready' "$work/demo.out" 2>/dev/null && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.out" "$work/demo.log" >&2; exit 1; }
  sleep 0.5
done
grep -q '^portal demo ready' "$work/demo.out" || { echo "the demo did not start" >&2; exit 1; }

# Two runs: a case overdue in GBP (English, built-in strings) and one in EUR for a Spanish customer
# (its strings come from i18n/es.json).
urls=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/pay#[^ ]+' "$work/demo.out")
en_url=$(echo "$urls" | sed -n 2p)
es_url=$(echo "$urls" | sed -n 1p)

run() {  # name url
  npx --yes lighthouse@12 "$2" --quiet --chrome-flags="$FLAGS" \
    --only-categories=performance,accessibility,best-practices \
    --output=json --output=html --output-path="$OUT/$1" >/dev/null 2>"$work/$1.log" \
    || { cat "$work/$1.log" >&2; exit 1; }
  "$PY" - "$1" "$OUT/$1.report.json" <<'EOF'
import json, sys
name, path = sys.argv[1], sys.argv[2]
report = json.load(open(path))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
audits = report["audits"]
timing = ", ".join(f"{label} {audits[key]['displayValue']}" for label, key in (
    ("FCP", "first-contentful-paint"), ("LCP", "largest-contentful-paint"), ("TBT", "total-blocking-time"),
    ("CLS", "cumulative-layout-shift")))
failed = [k for cat in report["categories"].values() for ref in cat["auditRefs"]
          if ref["weight"] and (s := audits[ref["id"]]["score"]) is not None and s < 1 for k in [ref["id"]]]
print(f"{name:<8} performance {scores['performance']:>3}  accessibility {scores['accessibility']:>3}  "
      f"best-practices {scores['best-practices']:>3}   ({timing})")
if failed:
    print(f"         below full marks: {', '.join(sorted(set(failed)))}")
EOF
}

echo "Lighthouse 12, mobile (simulated slow 4G, 4x CPU slowdown), Chromium $("$CHROME_PATH" --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -1)"
run pay-en "$en_url"
run pay-es "$es_url"
echo "reports: $OUT/pay-en.report.html, $OUT/pay-es.report.html"

# The console, desktop: a user flow (sign in once, then full loads of each screen in the same tab).
LH_NODE="$OUT/node"
if [ ! -d "$LH_NODE/node_modules/lighthouse" ]; then
  npm install --prefix "$LH_NODE" --no-audit --no-fund --loglevel=error lighthouse@12 >/dev/null
fi
cp bench/lighthouse_console.mjs "$LH_NODE/"
site_url=$(grep -oE '^\s+Site\s+http\S+' "$work/demo.out" | awk '{print $2}')
password=$(grep -oiE 'password:? +[^ ;,)]+' "$work/demo.out" | head -1 | awk '{print $NF}')
echo "Lighthouse 12, desktop, the console"
FLAGS="$FLAGS" node "$LH_NODE/lighthouse_console.mjs" "$site_url/console" owner@demo.example "$password" "$OUT"
echo "report: $OUT/console.flow.html"
