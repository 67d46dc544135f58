#!/usr/bin/env bash
# Runs every test under ctest and prints its summary. Tests that need port 443 or heavy
# clients take resource locks, so running two at a time is safe.
set -euo pipefail
build=${1:-build}
cd "$build"
ctest --output-on-failure -j 2 --timeout 600
