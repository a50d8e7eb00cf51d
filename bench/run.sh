#!/usr/bin/env bash
# Timestep benchmark: bash bench/run.sh [--quick] [--durable]
#   Writes bench/results/latest.md and latest.json (--quick: bench/results/quick/, tiny sizes, ~60 s).
#   --durable: only figure 7 (durable mode, both languages), then latest.md is re-rendered with it.
#   PostgreSQL: TIMESTEP_BENCH_DB_URL if set, else a throwaway cluster with default settings
#   (testing/postgres/cluster.sh) on a free loopback port, stopped on exit.
#   Installs nothing: uses typescript/node_modules (run scripts/setup.sh once if it is missing).
#   Then the Python rows: bench/python/bench_store.py with .venv/bin/python (TIMESTEP_BENCH_PYTHON overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=""
durable_only=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick="--quick" ;;
    --durable) durable_only=1 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "usage: bash bench/run.sh [--quick] [--durable]" >&2; exit 2 ;;
  esac
done

tsx="$root/typescript/node_modules/.bin/tsx"
if [ ! -x "$tsx" ]; then
  echo "bench: $tsx is missing; install the TypeScript package first (scripts/setup.sh or: cd typescript && npm ci)" >&2
  exit 1
fi
# bench/src imports @openai/agents, pg, tsx… from typescript/node_modules, the same files typescript/src uses.
ln -sfn ../typescript/node_modules "$root/bench/node_modules"

work=$(mktemp -d "${TMPDIR:-/tmp}/timestep-bench.XXXXXX")
chmod 755 "$work"   # the PostgreSQL server runs as its own user and must reach its data directory
own_cluster=""
cleanup() {
  if [ -n "$own_cluster" ]; then testing/postgres/cluster.sh stop "$work/pg"; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${TIMESTEP_BENCH_DB_URL:-}" ]; then
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  own_cluster=1
  TIMESTEP_BENCH_DB_URL=$(testing/postgres/cluster.sh start "$work/pg" "$port")
fi
export TIMESTEP_BENCH_DB_URL

results="$root/bench/results"
[ -n "$quick" ] && results="$root/bench/results/quick"

# Measure one consistent version of the code: the working tree may change while a
# 15-minute run goes on (processes started later would load the newer files), so
# the sources are copied once and every process of the run loads the copy.
snap="$work/snapshot"
mkdir -p "$snap/typescript" "$snap/bench" "$snap/testing"
cp -r typescript/src typescript/package.json typescript/tsconfig.json "$snap/typescript/"
# The pre-initialised data directory the build makes (npm run build): first opens unpack it.
if [ -d typescript/embedded-template ]; then
  cp -r typescript/embedded-template "$snap/typescript/"
else
  echo "bench: typescript/embedded-template is missing (run scripts/setup.sh): first opens will run initdb" >&2
fi
cp -r spec "$snap/spec"
cp -r testing/model-server "$snap/testing/model-server"
cp -r bench/src bench/scenarios bench/python bench/package.json "$snap/bench/"
ln -s "$root/typescript/node_modules" "$snap/typescript/node_modules"
ln -s "$root/typescript/node_modules" "$snap/bench/node_modules"
BENCH_SOURCE_DIGEST=$(cd "$snap" && find typescript/src spec bench/src bench/python bench/scenarios testing/model-server -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
BENCH_GIT_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
BENCH_GIT_DIRTY=$(git status --porcelain -- typescript/src spec 2>/dev/null || true)
export BENCH_SOURCE_DIGEST BENCH_GIT_COMMIT BENCH_GIT_DIRTY BENCH_REPO_ROOT="$root"

# Nothing of the user's: no app directory, no server from the environment, no tracing export.
unset TIMESTEP_DB_URL OPENAI_API_KEY OPENAI_BASE_URL
export TIMESTEP_HOME="$work/home" OPENAI_AGENTS_DISABLE_TRACING=1
py="${TIMESTEP_BENCH_PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || echo "bench: $py not found (set TIMESTEP_BENCH_PYTHON); Python rows skipped" >&2
export TIMESTEP_CLI="${TIMESTEP_CLI:-$root/typescript/dist/cli/main.js}"
if [ -z "$durable_only" ]; then
  rm -f "$results/python-latest.json"   # rewritten below: never show Python rows of an earlier run
  BENCH_WORK="$work/run" BENCH_RESULTS="$results" "$tsx" "$snap/bench/src/main.ts" $quick
  # Python rows (bench/python/bench_store.py): same machine, same PostgreSQL, right after the TypeScript part;
  # then latest.md is re-rendered with them. The Python package is the one installed in the venv (editable: python/src).
  if [ -x "$py" ]; then BENCH_RESULTS="$results" "$py" "$snap/bench/python/bench_store.py" $quick; fi
elif [ ! -f "$results/latest.json" ]; then
  echo "bench: --durable re-renders $results/latest.md, which needs a full run's latest.json first" >&2
  exit 1
fi
# Figure 7, durable mode: TypeScript (bench/src/durable.ts), then Python (bench/python/bench_durable.py).
rm -f "$results/durable-latest.json" "$results/python-durable-latest.json"
BENCH_WORK="$work/durable" BENCH_RESULTS="$results" "$tsx" "$snap/bench/src/durable.ts" $quick
if [ -x "$py" ]; then BENCH_RESULTS="$results" "$py" "$snap/bench/python/bench_durable.py" $quick; fi
"$tsx" "$snap/bench/src/render.ts" "$results"
echo "bench: results in ${results#$root/}/latest.md and latest.json"
