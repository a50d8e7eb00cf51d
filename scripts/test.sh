#!/usr/bin/env bash
# Sets up everything, type-checks and lints (scripts/check.sh) and runs every
# test suite: the scripted model server, TypeScript, and Python, against
# embedded PGlite and a throwaway PostgreSQL; then the declared SDK version
# ranges (scripts/sdk-range.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/setup.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/timestep-test.XXXXXX")
chmod 755 "$work"   # the PostgreSQL server runs as its own user and must reach its data directory
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { testing/postgres/cluster.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT
TIMESTEP_TEST_DB_URL=$(testing/postgres/cluster.sh start "$work/pg" "$port")
export TIMESTEP_TEST_DB_URL
# Tests must never touch the user's own app directory.
export TIMESTEP_HOME="$work/home"
export TIMESTEP_CLI="$root/typescript/dist/cli/main.js"
export OPENAI_AGENTS_DISABLE_TRACING=1
unset OPENAI_API_KEY OPENAI_BASE_URL TIMESTEP_DB_URL OLLAMA_HOST OLLAMA_API_KEY

status=0
bash scripts/check.sh || status=1   # type checks and lints, both languages
echo "== scripted model server"
node --test testing/model-server/test/ || status=1
echo "== TypeScript"
(cd typescript && npm test) || status=1
echo "== Python"
(cd python && "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider) || status=1
echo "== benchmarks still run (tiny sizes; the real figures come from bash bench/run.sh)"
TIMESTEP_BENCH_DB_URL=$TIMESTEP_TEST_DB_URL bash bench/run.sh --quick >/dev/null || status=1
echo "== SDK version ranges (packed packages with each end of the declared range, from npm and PyPI)"
bash scripts/sdk-range.sh || status=1
exit $status
