#!/usr/bin/env bash
# Issue 24, item 2: the web page's sign-in through an upstream identity provider (node
# oidc-provider on loopback, as in sso_u2m_test.sh) and its server-side sessions. In real
# Chromium (tests/node/web_sso.mjs): sign in, cookie attributes, generate and revoke a PAT,
# the Sessions page, sign out. Then, with curl and sso_browser.py as the browser, the attacks:
# CSRF (no token, wrong token, foreign Origin, cross-site fetch), signed-out, revoked (by the
# user and by an admin), forged and expired (idle, absolute) cookies, a user outside the
# allowed domains, a sign-in callback replayed in another browser; each refused with nothing
# changed, while bearer calls are unchanged. Short timeouts after a restart; last, two replicas
# on one PostgreSQL. Screenshots go to <build>/web-screenshots/.
source "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "chromium is not installed (scripts/install-deps.sh test)"; exit 1; }
NODE_DIR="$LK_SRC/tests/node"
SCREENSHOT_DIR=$(realpath -m "$LK_BIN_DIR/../../web-screenshots")

# ---- The upstream provider (HTTPS on loopback, its own CA) ----
LK_PORT=$(free_port)
lk_start_sso_upstream "https://127.0.0.1:$LK_PORT/sso/callback"

# write_config IDLE ABSOLUTE PAT_SIGN_IN: latchkey.toml's [sso] and [web] for the next start.
lk_init web
BASE_TOML=$(cat "$LK_TMP/web/latchkey.toml")
write_config() {
  printf '%s\n' "$BASE_TOML" > "$LK_TMP/web/latchkey.toml"
  cat >> "$LK_TMP/web/latchkey.toml" <<EOT

[sso]
ca_file = "$UP_CA"

[[sso.providers]]
id = "dev"
display_name = "Dev IdP"
issuer = "$UP"
client_id = "latchkey"
client_secret_file = "$UP_SECRET_FILE"
allowed_domains = ["example.com"]
jit_provisioning = true

[web]
session_idle_timeout_seconds = $1
session_absolute_timeout_seconds = $2
pat_sign_in = $3
EOT
}
write_config 600 3600 true
lk_serve web --listen "127.0.0.1:$LK_PORT"
cat "$LK_CA" "$UP_CA" > "$LK_TMP/bundle.pem"
admin() { lkcurl -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$@"; }

# Ada exists and may use tokens (a just-in-time user has no token permission yet).
admin -X POST "$LK_URL/api/2.0/preview/scim/v2/Users" -H 'Content-Type: application/json' \
  -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}' >/dev/null
admin -X PATCH "$LK_URL/api/2.0/permissions/authorization/tokens" -H 'Content-Type: application/json' \
  -d '{"access_control_list":[{"user_name":"ada@example.com","permission_level":"CAN_USE"}]}' >/dev/null

expect_eq "the page's sign-in options name the provider and offer PAT sign-in" '[["dev","Dev IdP"]] true' \
  "$(lkcurl "$LK_URL/sso/web/config" | jq -c '[.providers[]|[.id,.display_name]]') $(lkcurl "$LK_URL/sso/web/config" | jq -c .pat_sign_in)"

# ---- Real Chromium ----
export NODE_EXTRA_CA_CERTS="$LK_CA"
LK_URL=$LK_URL ADMIN_TOKEN=$LK_ADMIN_TOKEN LOGIN=ada@example.com COOKIE_OUT="$LK_TMP/signed_out_cookie" \
  SCREENSHOT_DIR=$SCREENSHOT_DIR CHROMIUM=$CHROMIUM HOME="$LK_TMP" \
  node "$NODE_DIR/web_sso.mjs" && pass "web sign-in through the provider in headless Chromium" \
  || fail "web sign-in through the provider in headless Chromium"

# ---- The same browser flow with sso_browser.py, for the attacks ----
# web_sign_in LOGIN: the callback's redirect and its Set-Cookie lines.
web_sign_in() {
  python3 "$LK_SRC/tests/e2e/sso_browser.py" "$LK_URL/sso/web/start?provider=dev" "$LK_TMP/bundle.pem" "$1" "$LK_URL/ui/" --set-cookie
}
cookie_of() { sed -n 's/^SET-COOKIE __Host-latchkey-session=\([A-Za-z0-9_-]\{43\}\);.*/\1/p' <<<"$1"; }
H_SITE=(-H 'Sec-Fetch-Site: same-origin')
as() { local c=$1; shift; lkcurl -H "Cookie: __Host-latchkey-session=$c" "$@"; }
status_as() { local c=$1; shift; lkstatus -H "Cookie: __Host-latchkey-session=$c" "$@"; }
csrf_of() { as "$1" "$LK_URL/api/2.0/latchkey/web-sessions/current" | jq -r .csrf_token; }
my_pats() { as "$1" "$LK_URL/api/2.0/token/list" | jq '.token_infos|length'; }
create_pat() { local c=$1; shift; status_as "$c" -X POST "$LK_URL/api/2.0/token/create" -H 'Content-Type: application/json' -d '{"comment":"csrf","lifetime_seconds":600}' "$@"; }

OUT=$(web_sign_in ada@example.com)
S1=$(cookie_of "$OUT")
check "the callback sends the browser back to the page" bash -c "[[ \"\$(head -1 <<<'$OUT')\" == '$LK_URL/ui/' ]]"
check "the session cookie is __Host-, HttpOnly, Secure, SameSite=Lax, Path=/" \
  grep -Eq '^SET-COOKIE __Host-latchkey-session=[A-Za-z0-9_-]{43}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=3600$' <<<"$OUT"
check "... and the sign-in's browser binding is cleared" grep -q '^SET-COOKIE __Host-latchkey-signin=; .*Max-Age=0' <<<"$OUT"
CSRF1=$(csrf_of "$S1")
check "the session authenticates the page's calls as that person" \
  bash -c "[ \"\$(curl -s --cacert '$LK_CA' -H 'Cookie: __Host-latchkey-session=$S1' '$LK_URL/api/2.0/preview/scim/v2/Me' | jq -r .userName)\" = ada@example.com ]"
check "GET .../web-sessions/current gives the CSRF token" test ${#CSRF1} -eq 43
BEFORE=$(my_pats "$S1")
expect_eq "CSRF: a state-changing call without the token is refused" 403 "$(create_pat "$S1")"
expect_eq "CSRF: with a wrong token, refused" 403 "$(create_pat "$S1" -H "X-Latchkey-CSRF: $(csrf_of "$(cookie_of "$(web_sign_in ada@example.com)")")")"
expect_eq "CSRF: with the token but a foreign Origin, refused" 403 "$(create_pat "$S1" -H "X-Latchkey-CSRF: $CSRF1" -H 'Origin: https://evil.example')"
expect_eq "CSRF: with the token but Sec-Fetch-Site cross-site, refused" 403 "$(create_pat "$S1" -H "X-Latchkey-CSRF: $CSRF1" -H 'Sec-Fetch-Site: cross-site')"
expect_eq "... and nothing was created" "$BEFORE" "$(my_pats "$S1")"
expect_eq "with the session's CSRF token and its own Origin, the call works" 200 \
  "$(create_pat "$S1" -H "X-Latchkey-CSRF: $CSRF1" -H "Origin: $LK_URL" "${H_SITE[@]}")"
expect_eq "... and created one PAT" "$((BEFORE + 1))" "$(my_pats "$S1")"
expect_eq "a forged (random) cookie is refused" 403 \
  "$(status_as "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d = | head -c 43)" "$LK_URL/api/2.0/preview/scim/v2/Me")"
expect_eq "a cookie next to an Authorization header: the bearer decides (a bad one is refused)" 403 \
  "$(status_as "$S1" -H 'Authorization: Bearer dapi00000000000000000000000000000000' "$LK_URL/api/2.0/preview/scim/v2/Me")"
expect_eq "the cookie does not authenticate forward-auth (/auth/verify)" 401 "$(status_as "$S1" "$LK_URL/auth/verify")"
expect_eq "a bearer PAT works as before" 200 "$(lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# A signed-out cookie (Chromium's, from web_sso.mjs) and one signed out here.
if [ -s "$LK_TMP/signed_out_cookie" ]; then
  expect_eq "the cookie of the session signed out in Chromium is refused" 403 \
    "$(status_as "$(cat "$LK_TMP/signed_out_cookie")" "$LK_URL/api/2.0/preview/scim/v2/Me")"
else
  fail "the Chromium run left no signed-out cookie to replay"
fi
S2=$(cookie_of "$(web_sign_in ada@example.com)")
expect_eq "sign-out without the CSRF token is refused" 403 "$(status_as "$S2" -X DELETE "$LK_URL/api/2.0/latchkey/web-sessions/current")"
expect_eq "sign-out with it ends the session" 200 \
  "$(status_as "$S2" -X DELETE -H "X-Latchkey-CSRF: $(csrf_of "$S2")" "$LK_URL/api/2.0/latchkey/web-sessions/current")"
expect_eq "a signed-out session's cookie is refused" 403 "$(status_as "$S2" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# Revocation by the user, of another of their sessions, and by an admin.
S3=$(cookie_of "$(web_sign_in ada@example.com)")
S3_ID=$(as "$S3" "$LK_URL/api/2.0/latchkey/web-sessions/current" | jq -r .id)
check "the user's list shows the session, address and user agent" bash -c \
  "curl -s --cacert '$LK_CA' -H 'Cookie: __Host-latchkey-session=$S1' '$LK_URL/api/2.0/latchkey/web-sessions' | jq -e --arg id '$S3_ID' '.sessions[]|select(.id==\$id)|.address==\"127.0.0.1\" and (.user_agent|length>0) and .current==false' >/dev/null"
expect_eq "a user cannot list everyone's sessions" 403 "$(status_as "$S1" "$LK_URL/api/2.0/latchkey/web-sessions?all=true")"
expect_eq "the user revokes another of their sessions" 200 \
  "$(status_as "$S1" -X DELETE -H "X-Latchkey-CSRF: $CSRF1" "$LK_URL/api/2.0/latchkey/web-sessions/$S3_ID")"
expect_eq "a revoked session's cookie is refused" 403 "$(status_as "$S3" "$LK_URL/api/2.0/preview/scim/v2/Me")"
S4=$(cookie_of "$(web_sign_in ada@example.com)")
S4_ID=$(as "$S4" "$LK_URL/api/2.0/latchkey/web-sessions/current" | jq -r .id)
check "an admin lists everyone's sessions" bash -c \
  "curl -s --cacert '$LK_CA' -H 'Authorization: Bearer $LK_ADMIN_TOKEN' '$LK_URL/api/2.0/latchkey/web-sessions?all=true' | jq -e --arg id '$S4_ID' 'any(.sessions[]; .id==\$id)' >/dev/null"
expect_eq "an admin revokes anyone's session" 200 "$(lkstatus -X DELETE -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/latchkey/web-sessions/$S4_ID")"
expect_eq "a session revoked by an admin is refused" 403 "$(status_as "$S4" "$LK_URL/api/2.0/preview/scim/v2/Me")"
expect_eq "S1 is untouched by the others' ends" 200 "$(status_as "$S1" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# Last seen is written at most once per touch interval (min(60 s, idle/4)): several calls within
# a second leave it where sign-in put it.
S5=$(cookie_of "$(web_sign_in ada@example.com)")
for i in 1 2 3; do status_as "$S5" "$LK_URL/api/2.0/preview/scim/v2/Me" >/dev/null; sleep 0.3; done
LS=$(as "$S5" "$LK_URL/api/2.0/latchkey/web-sessions" | jq '.sessions[]|select(.current)|[.created_time,.last_seen_time]|.[1]-.[0]')
expect_eq "last seen is not written on every request" 0 "$LS"

# Sign-ins that must create no session.
COUNT() { admin "$LK_URL/api/2.0/latchkey/web-sessions?all=true" | jq '.sessions|length'; }
N=$(COUNT)
OUT=$(web_sign_in mallory@evil.example)
check "an upstream user outside the allowed domains is sent back with not_allowed" \
  bash -c "[[ \"\$(head -1 <<<'$OUT')\" == '$LK_URL/ui/?sso_error=not_allowed' ]]"
check "... with no session cookie" bash -c "! grep -q '__Host-latchkey-session=' <<<'$OUT'"
expect_eq "... and no session row" "$N" "$(COUNT)"
expect_eq "... and no user" 0 "$(admin "$LK_URL/api/2.0/preview/scim/v2/Users" | jq '[.Resources[]|select(.userName=="mallory@evil.example")]|length')"
# Login CSRF / session planting: a callback URL obtained in one browser, opened in another.
CB=$(python3 "$LK_SRC/tests/e2e/sso_browser.py" "$LK_URL/sso/web/start?provider=dev" "$LK_TMP/bundle.pem" ada@example.com "$LK_URL/sso/callback")
check "the attacker's browser got a callback URL" bash -c "[[ '$CB' == $LK_URL/sso/callback?* ]]"
PLANT=$(lkcurl -D - -o /dev/null "$CB")
check "opened in a browser that did not start the sign-in, it creates no session" \
  bash -c "! grep -qi '^set-cookie: __Host-latchkey-session=[A-Za-z0-9]' <<<'$PLANT' && grep -qi '^location: /ui/?sso_error=started_in_another_browser' <<<'$PLANT'"
expect_eq "... and no session row" "$N" "$(COUNT)"

# The audit records each creation, sign-out, revocation and failed sign-in, and no session id.
AUDIT=$(admin "$LK_URL/api/2.0/latchkey/audit?after=0&limit=1000")
for action in web_session.created web_session.signed_out web_session.revoked sso.sign_in_failed; do
  check "audited: $action" bash -c "jq -e --arg a '$action' 'any(.events[]; .action==\$a)' >/dev/null <<<'$AUDIT'"
done
check "no session id or CSRF token in the audit or the log" bash -c \
  "! grep -qF -e '$S1' -e '$S2' -e '$S3' -e '$CSRF1' <<<'$AUDIT' && ! grep -qF -e '$S1' -e '$S2' -e '$S3' -e '$CSRF1' '$LK_LOG'"

# ---- Short timeouts (idle 4 s, absolute 8 s), PAT sign-in off: restart the same server ----
S6=$(cookie_of "$(web_sign_in ada@example.com)")
lk_stop "$LK_PID"
write_config 4 8 false
lk_serve web --listen "127.0.0.1:$LK_PORT"
expect_eq "sessions survive a restart (they are in the store)" 200 "$(status_as "$S6" "$LK_URL/api/2.0/preview/scim/v2/Me")"
expect_eq "web.pat_sign_in = false: the page is told not to offer PAT sign-in" false \
  "$(lkcurl "$LK_URL/sso/web/config" | jq .pat_sign_in)"
LK_URL=$LK_URL ADMIN_TOKEN=$LK_ADMIN_TOKEN LOGIN=- COOKIE_OUT=- SCREENSHOT_DIR=$SCREENSHOT_DIR \
  PAT_SIGN_IN=off CHROMIUM=$CHROMIUM HOME="$LK_TMP" node "$NODE_DIR/web_sso.mjs" \
  && pass "Chromium: the page hides the PAT form" || fail "Chromium: the page hides the PAT form"
expect_eq "... while bearer PATs keep working for the API" 200 \
  "$(lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/preview/scim/v2/Me")"
SI=$(cookie_of "$(web_sign_in ada@example.com)")
SA=$(cookie_of "$(web_sign_in ada@example.com)")
expect_eq "a fresh session works" 200 "$(status_as "$SI" "$LK_URL/api/2.0/preview/scim/v2/Me")"
T0=$(date +%s)
ABS_OK=1
for i in 1 2 3; do  # SA is used every 2 s (never idle) ...
  sleep 2
  [ "$(status_as "$SA" "$LK_URL/api/2.0/preview/scim/v2/Me")" = 200 ] || ABS_OK=0
done
check "a session in use stays valid within its timeouts" test "$ABS_OK" = 1
expect_eq "idle timeout: a session unused for more than 4 s is refused" 403 "$(status_as "$SI" "$LK_URL/api/2.0/preview/scim/v2/Me")"
while [ $(( $(date +%s) - T0 )) -lt 8 ]; do
  sleep 1
  status_as "$SA" "$LK_URL/api/2.0/preview/scim/v2/Me" >/dev/null
done
sleep 1
expect_eq "absolute timeout: a session in constant use is refused after 8 s" 403 "$(status_as "$SA" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# ---- Two replicas on one PostgreSQL: a session made on A works on B; ended on B, refused on A ----
lk_stop "$LK_PID"
PG_DIR=$(mktemp -d /tmp/latchkey-pg.XXXXXX)  # outside LK_TMP: the cluster may run as postgres
trap 'lk_cleanup; bash "$LK_SRC/tests/support/pg_cluster.sh" stop "$PG_DIR" || true' EXIT
PGURL=$(bash "$LK_SRC/tests/support/pg_cluster.sh" start "$PG_DIR" | sed -n 's/^PGURL=//p')
if [ -z "$PGURL" ]; then
  cannot_run "web sessions across replicas" "the PostgreSQL cluster did not start"
else
  lk_init pgweb --database "$PGURL"
  BASE_TOML=$(cat "$LK_TMP/pgweb/latchkey.toml")
  write_config 600 3600 true
  cp "$LK_TMP/web/latchkey.toml" "$LK_TMP/pgweb/latchkey.toml"
  lk_serve pgweb --database "$PGURL" --listen "127.0.0.1:$LK_PORT"
  A=$LK_URL
  lk_serve pgweb --database "$PGURL" --listen 127.0.0.1:0
  B=$LK_URL
  LK_URL=$A
  cat "$LK_CA" "$UP_CA" > "$LK_TMP/bundle.pem"
  admin -X POST "$A/api/2.0/preview/scim/v2/Users" -H 'Content-Type: application/json' \
    -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}' >/dev/null
  R1=$(cookie_of "$(web_sign_in ada@example.com)")
  R2=$(cookie_of "$(web_sign_in ada@example.com)")
  expect_eq "a session made on replica A works on replica B" ada@example.com \
    "$(as "$R1" "$B/api/2.0/preview/scim/v2/Me" | jq -r .userName)"
  expect_eq "signed out on B" 200 \
    "$(status_as "$R1" -X DELETE -H "X-Latchkey-CSRF: $(csrf_of "$R1")" "$B/api/2.0/latchkey/web-sessions/current")"
  expect_eq "... refused on A at once" 403 "$(status_as "$R1" "$A/api/2.0/preview/scim/v2/Me")"
  R2_ID=$(as "$R2" "$A/api/2.0/latchkey/web-sessions/current" | jq -r .id)
  expect_eq "revoked by an admin on B" 200 \
    "$(lkstatus -X DELETE -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$B/api/2.0/latchkey/web-sessions/$R2_ID")"
  expect_eq "... refused on A at once" 403 "$(status_as "$R2" "$A/api/2.0/preview/scim/v2/Me")"
fi
finish
