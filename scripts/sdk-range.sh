#!/usr/bin/env bash
# Tests the SDK version ranges the packages declare, as a user installs them:
# the packed packages go into a throwaway npm project and virtualenv with the
# lowest and the highest SDK version of the range, and a run paused for approval
# is saved, loaded and resumed (scripts/sdk-range/smoke.*) against the scripted
# model server; then one version below the range must fail with
# UnsupportedSdkVersionError, and so must a RunState from a second SDK copy.
#
#   TIMESTEP_TEST_DB_URL=postgresql://… bash scripts/sdk-range.sh
#
# Needs the npm registry and PyPI, Node.js 20+, Python 3.11+ and a PostgreSQL
# server for the Python store (TypeScript uses a fresh embedded store).
# scripts/test.sh runs it with its throwaway server.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
: "${TIMESTEP_TEST_DB_URL:?set TIMESTEP_TEST_DB_URL to a PostgreSQL server (scripts/test.sh does)}"

# The ranges, read from the manifests so this tests exactly what they declare.
ts_range=$(node -p "require('./typescript/package.json').peerDependencies['@openai/agents']")
zod_range=$(node -p "require('./typescript/package.json').peerDependencies.zod")
py_range=$(python3 -c "
import re, tomllib
deps = tomllib.load(open('python/pyproject.toml', 'rb'))['project']['dependencies']
print(next(re.sub(r'^openai-agents', '', d) for d in deps if d.startswith('openai-agents')))")
# Just below each range; the check must name it.
ts_below=0.19.0
py_below=0.23.1

work=$(mktemp -d "${TMPDIR:-/tmp}/timestep-sdk-range.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

exec 3< <(exec node testing/model-server/server.mjs --scenario spec/scenarios/readme-quick-start.json </dev/null)
server_pid=$!
read -r -t 30 listening <&3 || { echo "sdk-range: the scripted model server did not start" >&2; exit 1; }
export OPENAI_BASE_URL="$(node -p "JSON.parse(process.argv[1]).url" "$listening")/v1"
export OPENAI_API_KEY=test-key OPENAI_AGENTS_DISABLE_TRACING=1

echo "== SDK range: TypeScript, @openai/agents $ts_range, zod $zod_range"
(cd typescript && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/timestep-ai-timestep-*.tgz)
project="$work/ts"
mkdir "$project"
cp scripts/sdk-range/smoke.mjs "$project/"
cd "$project"
echo '{ "name": "sdk-range-smoke", "private": true, "type": "module" }' >package.json
npm_install() { npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null; }
export TIMESTEP_HOME="$work/ts-home"
lowest=$(node -p "require('$root/typescript/package.json').peerDependencies['@openai/agents'].match(/>=\s*(\S+)/)[1]")
highest=$(npm view "@openai/agents@$ts_range" version --json | node -p "[].concat(JSON.parse(require('fs').readFileSync(0, 'utf8'))).at(-1)")
zod_lowest=$(node -p "'$zod_range'.replace(/^\^/, '')")
npm_install "$tarball" "@openai/agents@$lowest" "zod@$zod_lowest"
node smoke.mjs resume
npm_install "@openai/agents@$highest" "zod@$zod_range"
node smoke.mjs resume
npm_install --legacy-peer-deps "@openai/agents@$ts_below"   # what npm refuses without the flag
node smoke.mjs unsupported
npm_install "@openai/agents@$highest" "agents-core-copy@npm:@openai/agents-core@$ts_below"
node smoke.mjs second-copy
cd "$root"

echo "== SDK range: Python, openai-agents $py_range"
python3 -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"$work/venv/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$work/wheels" ./python
wheel=$(ls "$work"/wheels/timestep-*.whl)
py_lowest=$(python3 -c "import re; print(re.search(r'>=\s*([^,\s]+)', '$py_range')[1])")
export TIMESTEP_DB_URL=$TIMESTEP_TEST_DB_URL
"${pip[@]}" "$wheel" "openai-agents==$py_lowest"
"$work/venv/bin/python" scripts/sdk-range/smoke.py resume
"${pip[@]}" --upgrade "openai-agents$py_range"
"$work/venv/bin/python" scripts/sdk-range/smoke.py resume
# pip installs it, reporting on stderr that timestep requires another version.
"${pip[@]}" "openai-agents==$py_below" 2>"$work/pip-below.log" || { cat "$work/pip-below.log" >&2; exit 1; }
"$work/venv/bin/python" scripts/sdk-range/smoke.py unsupported
echo "sdk-range: all passed in ${SECONDS}s"
