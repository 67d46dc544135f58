#!/usr/bin/env bash
# Installs the pinned npm packages the client tests use (exact versions from the lockfile).
set -euo pipefail
cd "$(dirname "$0")/../tests/node"
if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
