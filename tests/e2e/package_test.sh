#!/usr/bin/env bash
# Issue 9: the .deb installs on this machine and the service answers /healthz. Installs
# system-wide (root, dpkg, a system user), so it is registered only with
# -DLATCHKEY_TEST_PACKAGE=ON (label "package"); scripts/package-smoke.sh does the work.
set -euo pipefail
: "${LATCHKEY_BIN_DIR:?}" "${LATCHKEY_SOURCE_DIR:?}"
build=$(cd "$LATCHKEY_BIN_DIR/../.." && pwd)
(cd "$build" && cpack -G DEB >/dev/null)
exec bash "$LATCHKEY_SOURCE_DIR/scripts/package-smoke.sh" "$build"
