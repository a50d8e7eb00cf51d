#!/usr/bin/env bash
# Type checks and lints both packages; scripts/test.sh runs it after setup.
#   TypeScript: tsc over src, tests and examples (typescript/tsconfig.check.json) and the
#               benchmarks; eslint (typescript/eslint.config.js)
#   Python:     ruff and mypy over the package and bench/python (settings in python/pyproject.toml:
#               strict on the package);
#               the README quick start under mypy --strict
# The TypeScript README quick start is type-checked by typescript/test/readmeQuickStart.test.ts.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
status=0

echo "== typecheck: TypeScript (src, tests, examples)"
(cd typescript && npm run --silent typecheck) || status=1
echo "== typecheck: benchmarks"
ln -sfn ../typescript/node_modules bench/node_modules   # as bench/run.sh does: bench uses typescript's packages
typescript/node_modules/.bin/tsc -p bench/tsconfig.json || status=1
echo "== lint: TypeScript (eslint)"
(cd typescript && npm run --silent lint) || status=1

echo "== lint: Python (ruff), the package and the benchmarks"
(cd python && "$root/.venv/bin/ruff" check --output-format concise . ../bench/python) || status=1
echo "== typecheck: Python (mypy), the package and the benchmarks"
(cd python && "$root/.venv/bin/mypy" && "$root/.venv/bin/mypy" ../bench/python) || status=1
echo "== typecheck: Python README quick start (mypy --strict)"
quick_start=$(mktemp -d "${TMPDIR:-/tmp}/timestep-quick-start.XXXXXX")
trap 'rm -rf "$quick_start"' EXIT
python3 - "$quick_start/quick_start.py" <<'EOF' || status=1
import re, sys
readme = open("python/README.md", encoding="utf-8").read()
block = re.search(r"```python\n(.*?)```", readme[readme.index("## Quick start"):], re.S)
assert block, "python/README.md has no Python quick start block"
open(sys.argv[1], "w", encoding="utf-8").write(block[1])
EOF
(cd python && "$root/.venv/bin/mypy" --strict --no-warn-unused-configs "$quick_start/quick_start.py") || status=1

exit $status
