#!/usr/bin/env bash
# Sets up the packages and runs the approval demo: a run stops for approval,
# is saved to the embedded store, and is finished by a second process.
# Offline unless OPENAI_API_KEY is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cd typescript && exec node_modules/.bin/tsx examples/approval-demo.ts
