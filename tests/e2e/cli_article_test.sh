#!/usr/bin/env bash
# The seed article's CLI steps with `latchkey` in place of `databricks`, against a live server
# (the steps and error cases are in tests/cli/cli_e2e.sh).
source "$(dirname "$0")/lib.sh"
lk_start
LATCHKEY_URL=$LK_URL LATCHKEY_CA=$LK_CA LATCHKEY_BOOTSTRAP=$LK_BOOT \
  LATCHKEY_CLI=${LATCHKEY_CLI:?} HOME="$LK_TMP/home" \
  bash "$LK_SRC/tests/cli/cli_e2e.sh" && pass "the article's CLI steps" || fail "the article's CLI steps"
finish
