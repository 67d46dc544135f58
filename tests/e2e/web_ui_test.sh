#!/usr/bin/env bash
# The web UI (issue #10) in headless Chromium (Debian's chromium driven by playwright-core):
# sign in with the admin PAT, generate/copy/revoke a token, a <script> comment shown as text,
# all tokens, grant CAN_USE, max lifetime, OAuth secrets, audit log, headers, sign-out.
# Screenshots of each page go to <build>/web-screenshots/.
source "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "chromium is not installed (scripts/install-deps.sh test)"; exit 1; }
NODE_DIR="$LK_SRC/tests/node"
SCREENSHOT_DIR=$(realpath -m "$LK_BIN_DIR/../../web-screenshots")
lk_start

# A non-admin principal with a PAT of its own: a service principal holding CAN_USE creates it
# with an Entra token.
lk_new_sp web-ui-user
lk_grant_can_use "$SP_CLIENT_ID"
entra=$(lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" \
  -d grant_type=client_credentials -d 'scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default' \
  -d "client_secret=$SP_SECRET" | jq -r .access_token)
USER_TOKEN=$(lkcurl -X POST "$LK_URL/api/2.0/token/create" -H "Authorization: Bearer $entra" \
  -H 'Content-Type: application/json' -d '{"comment":"web ui non-admin","lifetime_seconds":3600}' | jq -r .token_value)
check "a non-admin PAT for the UI test" grep -Eq '^dapi[0-9a-f]{32}' <<<"$USER_TOKEN"

# The service principal the admin grants CAN_USE to in the UI.
lk_new_sp web-ui-sp

# Node's fetch verifies the server against the test CA; the browser itself cannot (see the
# comment on ignoreHTTPSErrors in web_ui.mjs).
export NODE_EXTRA_CA_CERTS="$LK_CA"
LK_URL=$LK_URL ADMIN_TOKEN=$LK_ADMIN_TOKEN SP_APPLICATION_ID=$SP_CLIENT_ID USER_TOKEN=$USER_TOKEN \
  SCREENSHOT_DIR=$SCREENSHOT_DIR CHROMIUM=$CHROMIUM HOME="$LK_TMP" \
  node "$NODE_DIR/web_ui.mjs" && pass "web UI in headless Chromium" || fail "web UI in headless Chromium"

# The same facts, seen with curl.
expect_eq "GET / redirects to the UI" "302 /ui/" \
  "$(lkcurl -o /dev/null -w '%{http_code} %header{location}' "$LK_URL/")"
headers=$(lkcurl -D - -o /dev/null "$LK_URL/ui/")
check "the UI carries the CSP" grep -qi "^content-security-policy: default-src 'self'; script-src 'self';" <<<"$headers"
check "the UI forbids framing" grep -qi '^x-frame-options: DENY' <<<"$headers"
expect_eq "maxTokenLifetimeDays was saved by the UI" 30 \
  "$(lkcurl -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/workspace-conf?keys=maxTokenLifetimeDays" | jq -r .maxTokenLifetimeDays)"
for page in signin my-tokens-non-admin my-tokens token-created revoke-confirm all-tokens permissions settings service-principals secret-created audit; do
  check "screenshot $page.png" test -s "$SCREENSHOT_DIR/$page.png"
done
finish
