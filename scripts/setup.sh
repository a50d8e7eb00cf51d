# Sourced by demo.sh and test.sh: installs the TypeScript and Python packages
# of this checkout (Node.js 20+ and Python 3.11+ must be on PATH).
set -euo pipefail
echo "== setup: npm packages" >&2
(cd typescript && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent) >&2
echo "== setup: Python virtualenv (.venv)" >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e 'python[dev]' >&2
