#!/usr/bin/env bash
# Issue 4: an external OpenID issuer configured by its discovery URL (a second latchkeyd plays
# "real Entra ID" with its own tenant, keys and CA). Its tokens are refused until it is trusted,
# then accepted for service principals of this workspace; its keys never verify tokens that
# name another issuer.
source "$(dirname "$0")/lib.sh"
DBX=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d

# The external identity provider.
lk_start ext
EXT_URL=$LK_URL EXT_CA=$LK_CA EXT_TENANT=$LK_TENANT
lk_new_sp external-app
EXT_CLIENT=$SP_CLIENT_ID EXT_SECRET=$SP_SECRET
ext_token=$(lkcurl -X POST "$EXT_URL/$EXT_TENANT/oauth2/v2.0/token" -d "client_id=$EXT_CLIENT" \
  -d grant_type=client_credentials -d "scope=$DBX%2F.default" -d "client_secret=$EXT_SECRET" | jq -r .access_token)
check "the external issuer issued a token" test -n "$ext_token" -a "$ext_token" != null

# The workspace, first without trusting it.
lk_init ws
lk_serve ws
WS_PID=$LK_PID
lkcurl -X POST "$LK_URL/api/2.0/preview/scim/v2/ServicePrincipals" -H "Authorization: Bearer $LK_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' -d "{\"applicationId\":\"$EXT_CLIENT\",\"displayName\":\"external\"}" >/dev/null
expect_eq "an untrusted issuer's token is refused" 403 \
  "$(lkstatus -H "Authorization: Bearer $ext_token" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# Trust it by discovery URL and restart.
lk_stop "$WS_PID"
cat >> "$LK_TMP/ws/latchkey.toml" <<EOT

[[trusted_issuers]]
discovery_url = "$EXT_URL/$EXT_TENANT/v2.0/.well-known/openid-configuration"
ca_file = "$EXT_CA"
EOT
lk_serve ws
WS_PID=$LK_PID
check "the workspace logged the trusted issuer's keys" grep -q "trusted issuer" "$LK_LOG"
expect_eq "the trusted issuer's token is accepted" 200 \
  "$(lkstatus -H "Authorization: Bearer $ext_token" "$LK_URL/api/2.0/preview/scim/v2/Me")"
expect_eq "... as the service principal with that application id" "$EXT_CLIENT" \
  "$(lkcurl -H "Authorization: Bearer $ext_token" "$LK_URL/api/2.0/preview/scim/v2/Me" | jq -r .userName)"

# A token of the external issuer for an app that is not in this workspace.
LK_URL=$EXT_URL LK_CA=$EXT_CA LK_TENANT=$EXT_TENANT LK_ADMIN_TOKEN=$(jq -r .admin.token "$LK_TMP/ext.json") \
  LK_DIR_CLIENT=$(jq -r .directory_admin.client_id "$LK_TMP/ext.json") \
  LK_DIR_SECRET=$(jq -r .directory_admin.client_secret "$LK_TMP/ext.json") lk_new_sp stranger
stranger=$(curl -s --cacert "$EXT_CA" -X POST "$EXT_URL/$EXT_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" \
  -d grant_type=client_credentials -d "scope=$DBX%2F.default" -d "client_secret=$SP_SECRET" | jq -r .access_token)
expect_eq "a trusted issuer's token for an unknown principal is refused" 403 \
  "$(lkstatus -H "Authorization: Bearer $stranger" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# The external keys must not verify a token that names this workspace's own tenant: re-sign the
# external token's claims with iss rewritten is impossible without a key, so check the binding
# the other way: a token naming an issuer that is not configured is refused even though its kid
# is one of the trusted issuer's keys.
graph=$(curl -s --cacert "$EXT_CA" -X POST "$EXT_URL/$EXT_TENANT/oauth2/v2.0/token" -d "client_id=$EXT_CLIENT" \
  -d grant_type=client_credentials -d 'scope=https%3A%2F%2Fgraph.microsoft.com%2F.default' -d "client_secret=$EXT_SECRET" | jq -r .access_token)
expect_eq "a trusted issuer's token for another audience is refused" 403 \
  "$(lkstatus -H "Authorization: Bearer $graph" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# Issuer mix-up (OpenID Connect Discovery §4.3): a document fetched by the tenant's *name*
# names the tenant-id issuer, not the URL it came from. Unless that issuer is listed, its keys
# are not trusted and its tokens are refused (fail closed), with the reason in the log.
lk_stop "$WS_PID"
python3 - "$LK_TMP/ws/latchkey.toml" "$EXT_URL" "$EXT_CA" "$EXT_TENANT" <<'PY'
import sys
path, url, ca, tenant = sys.argv[1:]
text = open(path).read()
text = text[:text.index("[[trusted_issuers]]")]
# The v1 issuer its Databricks tokens carry is listed, as in the first config: only the
# document's own issuer is wrong.
text += ('[[trusted_issuers]]\ndiscovery_url = "%s/latchkey/v2.0/.well-known/openid-configuration"\n'
         'issuers = ["https://sts.windows.net/%s/"]\nca_file = "%s"\n' % (url, tenant, ca))
open(path, "w").write(text)
PY
check "the tenant-name discovery URL names another issuer (the precondition)" bash -c \
  "curl -s --cacert '$EXT_CA' '$EXT_URL/latchkey/v2.0/.well-known/openid-configuration' | jq -e '.issuer == \"https://login.microsoftonline.com/$EXT_TENANT/v2.0\"' >/dev/null"
lk_serve ws
WS_PID=$LK_PID
check "the mismatching discovery document is refused, and logged" grep -q "which is not the URL it was fetched from" "$LK_LOG"
v2_token=$(curl -s --cacert "$EXT_CA" -X POST "$EXT_URL/$EXT_TENANT/oauth2/v2.0/token" -d "client_id=$EXT_CLIENT" \
  -d grant_type=client_credentials -d "scope=$DBX%2F.default" -d "client_secret=$EXT_SECRET" | jq -r .access_token)
check "(a token was issued)" test -n "$v2_token" -a "$v2_token" != null
expect_eq "tokens of an issuer whose document did not match are refused" 403 \
  "$(lkstatus -H "Authorization: Bearer $v2_token" "$LK_URL/api/2.0/preview/scim/v2/Me")"
finish
