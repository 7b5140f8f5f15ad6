#!/usr/bin/env bash
# Reproduces the Neo4j Browser screenshots of README section 2 (docs/screenshots/*.png).
#
#   docs/take_screenshots.sh        (from the repository root, after `make run` or `make install`)
#
# It starts a Neo4j of its own with the project runner (`kg neo4j start`: data in
# .kg/neo4j-shots, Bolt 127.0.0.1:17970, Browser http://127.0.0.1:17971/browser/), loads the
# seed (`kg load data/articles`), and drives Debian's headless Chromium through Neo4j Browser
# with playwright-core (docs/take_screenshots.mjs): connect, `:style` with schema/kg.grass,
# run the queries, save the PNGs. It stops that Neo4j at the end unless it was running before.
#
# Needs: Chromium at /usr/bin/chromium (`apt-get install -y chromium`; or set CHROMIUM),
# Node.js 18+ with npm. playwright-core is installed into KG_SHOTS_NODE_DIR
# (~/.cache/kg-newsgraph/screenshots-node), never into the repository; it drives the system
# Chromium and downloads no browser of its own.
set -euo pipefail

cd "$(dirname "$0")/.."
export NEO4J_URI="${KG_SHOTS_NEO4J_URI:-bolt://127.0.0.1:17970}"
export KG_NEO4J_HTTP_PORT="${KG_SHOTS_HTTP_PORT:-17971}"
export KG_NEO4J_HOME="${KG_SHOTS_NEO4J_HOME:-.kg/neo4j-shots}"
export NEO4J_PASSWORD="${KG_SHOTS_PASSWORD:-kg-shots-password}"
export KG_NEO4J_HEAP="${KG_NEO4J_HEAP:-512m}" KG_NEO4J_PAGECACHE="${KG_NEO4J_PAGECACHE:-256m}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export KG_SHOTS_NODE_DIR="${KG_SHOTS_NODE_DIR:-$HOME/.cache/kg-newsgraph/screenshots-node}"
PLAYWRIGHT_CORE_VERSION=1.65.1
KG=.venv/bin/kg

[ -x "$KG" ] || { echo "no $KG: run \`make install\` (or \`make run\`) first" >&2; exit 1; }
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM: apt-get install -y chromium" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm (Node.js) is needed" >&2; exit 1; }

installed="$KG_SHOTS_NODE_DIR/node_modules/playwright-core/package.json"
if ! grep -q "\"version\": \"$PLAYWRIGHT_CORE_VERSION\"" "$installed" 2>/dev/null; then
  mkdir -p "$KG_SHOTS_NODE_DIR"
  [ -f "$KG_SHOTS_NODE_DIR/package.json" ] || echo '{"private": true}' >"$KG_SHOTS_NODE_DIR/package.json"
  npm install --prefix "$KG_SHOTS_NODE_DIR" --no-audit --no-fund --silent \
    "playwright-core@$PLAYWRIGHT_CORE_VERSION"
fi

started=0
if ! "$KG" neo4j status >/dev/null 2>&1; then
  "$KG" neo4j start
  started=1
fi
stop_neo4j() { if [ "$started" = 1 ]; then "$KG" neo4j stop; fi; }
trap stop_neo4j EXIT

"$KG" load data/articles 2>/dev/null

bolt="${NEO4J_URI#*://}"
KG_SHOTS_BROWSER="http://127.0.0.1:$KG_NEO4J_HTTP_PORT/browser/" \
KG_SHOTS_BOLT="$bolt" \
KG_SHOTS_PASSWORD="$NEO4J_PASSWORD" \
KG_SHOTS_GRASS=schema/kg.grass \
KG_SHOTS_OUT=docs/screenshots \
  node docs/take_screenshots.mjs
