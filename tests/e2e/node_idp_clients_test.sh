#!/usr/bin/env bash
# msal-node, @azure/identity and jose (pinned npm versions) against the identity provider;
# then key rotation: tokens verify against the JWKS before and after, and a removed key's
# tokens stop verifying.
source "$(dirname "$0")/lib.sh"
NODE_DIR="$LK_SRC/tests/node"
lk_start
lk_new_sp node-sp
export NODE_EXTRA_CA_CERTS="$LK_CA"
LK_URL=$LK_URL LK_TENANT=$LK_TENANT SP_CLIENT_ID=$SP_CLIENT_ID SP_SECRET=$SP_SECRET \
  node "$NODE_DIR/idp_clients.mjs" && pass "node identity clients" || fail "node identity clients"

DBX=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d
token() {
  lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" \
    -d grant_type=client_credentials -d "scope=$DBX%2F.default" -d "client_secret=$SP_SECRET" | jq -r .access_token
}
kid_of() { cut -d. -f1 <<<"$1" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .kid; }
verify() { node "$NODE_DIR/jwt_verify.mjs" "$LK_URL/$LK_TENANT/discovery/v2.0/keys" "https://sts.windows.net/$LK_TENANT/" "$DBX" "$1" >/dev/null; }

old=$(token)
check "jose verifies a token before rotation" verify "$old"
old_kid=$("$LATCHKEYD" keys list --data-dir "$LK_TMP/lk" 2>/dev/null | jq -r '.keys[0].kid')
new_kid=$("$LATCHKEYD" keys rotate --data-dir "$LK_TMP/lk" 2>/dev/null | jq -r .kid)
# No SIGHUP: the running server hears of the rotation through the store, as of a removal below.
jwks_kids() { lkcurl "$LK_URL/$LK_TENANT/discovery/v2.0/keys" | jq -c '[.keys[].kid]'; }
published_after=""
for i in $(seq 1 20); do
  sleep 0.05
  if [ "$(jwks_kids)" = "[\"$new_kid\",\"$old_kid\"]" ]; then published_after=$((i * 50)); break; fi
done
check "the JWKS publishes the new key, then the old, within 1 s of the rotation (${published_after:-never} ms)" \
  test -n "$published_after"
new=$(token)
expect_eq "the JWKS publishes both keys after rotation" 2 "$(lkcurl "$LK_URL/$LK_TENANT/discovery/v2.0/keys" | jq '.keys|length')"
# SIGHUP re-reads the keys too (docs/operations.md): its log line names the current kid.
kill -HUP "$LK_PID"
for i in $(seq 1 100); do grep -qF "signing keys reloaded, current kid $new_kid" "$LK_LOG" && break; sleep 0.05; done
check "SIGHUP reloads the signing keys (logged with the new kid)" \
  grep -qF "signing keys reloaded, current kid $new_kid" "$LK_LOG"
check "new tokens are signed with the new key" test "$(kid_of "$new")" = "$new_kid" -a "$new_kid" != "$old_kid"
check "jose verifies the new token" verify "$new"
check "jose still verifies the old token" verify "$old"
expect_eq "the old token still works at the workspace" 200 "$(lkstatus -H "Authorization: Bearer $old" "$LK_URL/api/2.0/preview/scim/v2/Me")"
"$LATCHKEYD" keys remove --data-dir "$LK_TMP/lk" --kid "$old_kid" >/dev/null 2>&1
# No SIGHUP: the running server hears of the removal through the store (security review
# finding 12: refused within 1 s, although the token sits in the verified-JWT cache).
refused_after=""
for i in $(seq 1 20); do
  sleep 0.05
  if [ "$(lkstatus -H "Authorization: Bearer $old" "$LK_URL/api/2.0/preview/scim/v2/Me")" = 403 ]; then
    refused_after=$((i * 50)); break
  fi
done
check "the old token is refused within 1 s of the key's removal (${refused_after:-never} ms)" test -n "$refused_after"
expect_eq "the removed key leaves the JWKS" 1 "$(lkcurl "$LK_URL/$LK_TENANT/discovery/v2.0/keys" | jq '.keys|length')"
check "jose rejects the old token once its key left the JWKS" bash -c "! node '$NODE_DIR/jwt_verify.mjs' '$LK_URL/$LK_TENANT/discovery/v2.0/keys' 'https://sts.windows.net/$LK_TENANT/' '$DBX' '$old' >/dev/null"
expect_eq "the workspace refuses it too" 403 "$(lkstatus -H "Authorization: Bearer $old" "$LK_URL/api/2.0/preview/scim/v2/Me")"
check "jose still verifies the new token" verify "$new"
finish
