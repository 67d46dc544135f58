#!/usr/bin/env bash
# README.md's Quickstart is a test: its ```sh blocks, in order, run in one bash with
# `set -euo pipefail` against a fresh latchkeyd, exactly as written. The only things this test
# provides are what `make run` would have left behind, laid out as in a clone:
#   ./.latchkey/bootstrap.json   the server's bootstrap JSON (its authority is the server's URL)
#   ./build/src/cli/latchkey     the CLI (a symlink to the one under test)
# and a private HOME, so that nothing of the caller's az, Databricks or latchkey setup is read
# or written. Any failing line fails the test and is printed.
source "$(dirname "$0")/lib.sh"
README="$LK_SRC/README.md"
CLI=${LATCHKEY_CLI:?LATCHKEY_CLI must name the latchkey binary}
command -v az >/dev/null || { echo "az is not installed (scripts/install-deps.sh test)"; exit 1; }

# The quickstart: from its heading to the next "## " heading, every ```sh block.
script="$LK_TMP/quickstart.sh"
{
  echo 'set -euo pipefail'
  echo 'trap '\''echo "quickstart: exit $? at line $LINENO of the extracted script: $(sed -n "${LINENO}p" "$0")" >&2'\'' ERR'
  awk '
    /^## Quickstart/ { inside = 1; next }
    inside && /^## / { inside = 0 }
    inside && /^```sh$/ { block++; code = 1; print "# ---- block " block; next }
    inside && code && /^```$/ { code = 0; print "printf \"\\nquickstart: block " block " done\\n\""; next }
    inside && code { print }
  ' "$README"
  echo "printf '\\nquickstart: complete\\n'"
} >"$script"
blocks=$(grep -c '^# ---- block ' "$script")
check "the quickstart has its blocks (found $blocks)" test "$blocks" -ge 8

# A fresh server whose bootstrap JSON names the URL it really listens on.
port=$(free_port)
"$LATCHKEYD" init --data-dir "$LK_TMP/qs" --listen "127.0.0.1:$port" >"$LK_TMP/qs.json"
lk_serve qs
work="$LK_TMP/clone"
mkdir -p "$work/.latchkey" "$work/build/src/cli" "$LK_TMP/home"
cp "$LK_TMP/qs.json" "$work/.latchkey/bootstrap.json"
chmod 600 "$work/.latchkey/bootstrap.json"
ln -s "$(cd "$(dirname "$CLI")" && pwd)/$(basename "$CLI")" "$work/build/src/cli/latchkey"

(
  cd "$work"
  # Nothing of the caller's environment: a private HOME, no Databricks/Azure variables.
  unset DATABRICKS_HOST DATABRICKS_TOKEN DATABRICKS_CLIENT_ID DATABRICKS_CLIENT_SECRET \
    DATABRICKS_CONFIG_FILE DATABRICKS_CONFIG_PROFILE DATABRICKS_AUTH_TYPE DATABRICKS_AAD_TOKEN \
    ARM_TENANT_ID ARM_CLIENT_ID ARM_CLIENT_SECRET AZURE_CLIENT_SECRET AZURE_CONFIG_DIR \
    REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE LATCHKEY_CONFIG_DIR LATCHKEY_AUTHORITY
  export HOME="$LK_TMP/home"
  export AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_SURVEY_MESSAGE=no AZURE_CORE_NO_COLOR=true
  bash "$script"
) >"$LK_TMP/quickstart.out" 2>&1 && rc=0 || rc=$?
expect_eq "every line of the quickstart succeeds" 0 "$rc"
check "the quickstart ran to its end" grep -qx 'quickstart: complete' "$LK_TMP/quickstart.out"
if [ "$rc" -ne 0 ] || [ -n "${QUICKSTART_VERBOSE:-}" ]; then tail -n 40 "$LK_TMP/quickstart.out"; fi

# What it must not have done, and what it must have left.
check "nothing was written to ~/.databrickscfg" test ! -e "$LK_TMP/home/.databrickscfg"
check "nothing was written to ~/.azure" test ! -e "$LK_TMP/home/.azure"
cfg="$work/.latchkey/databrickscfg"
expect_eq "the quickstart's profile is private (0600)" 600 "$(stat -c %a "$cfg" 2>/dev/null)"
check "latchkey configure said where it wrote" \
  grep -q "Saved profile DEFAULT in $cfg" "$LK_TMP/quickstart.out"
# Every block ran (each captured the token id it revokes later with `jq -e`), and of the PAT the
# REST part created and the token the CLI part created, neither is left.
admin=$(jq -r .admin.token "$LK_TMP/qs.json")
left=$(lkcurl "$LK_URL/api/2.0/token-management/tokens" -H "Authorization: Bearer $admin" |
  jq '[.token_infos[]? | select(.comment == "my-pat-123" or .comment == "my-cli-token")] | length')
ran=$(grep -c '^quickstart: block [0-9]* done$' "$LK_TMP/quickstart.out" || true)
expect_eq "the quickstart ran every block" "$blocks" "$ran"
expect_eq "no token the quickstart created is left" 0 "$left"
finish
