#!/usr/bin/env bash
# Debian's python3-msal against latchkey: Entra-style authority with instance discovery off,
# the /adfs authority, and the wrong-secret error dict.
source "$(dirname "$0")/lib.sh"
lk_start
lk_new_sp msal-sp
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
out=$(/usr/bin/python3 - "$LK_URL" "$LK_TENANT" "$SP_CLIENT_ID" "$SP_SECRET" "$LK_CA" <<'PY'
import json, sys, msal
url, tenant, cid, secret, ca = sys.argv[1:]
res = {}
app = msal.ConfidentialClientApplication(cid, client_credential=secret,
        authority=f"{url}/{tenant}", instance_discovery=False, verify=ca)
r = app.acquire_token_for_client(["2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"])
res["entra"] = {"ok": "access_token" in r, "expires_in": r.get("expires_in")}
app = msal.ConfidentialClientApplication(cid, client_credential=secret, authority=f"{url}/adfs", verify=ca)
r = app.acquire_token_for_client(["2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"])
res["adfs"] = {"ok": "access_token" in r}
app = msal.ConfidentialClientApplication(cid, client_credential="wrong", authority=f"{url}/{tenant}",
        instance_discovery=False, verify=ca)
r = app.acquire_token_for_client(["2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"])
res["wrong"] = {"error": r.get("error"), "codes": r.get("error_codes")}
print(json.dumps(res))
PY
)
echo "$out"
expect_eq "MSAL Python with an Entra-style authority gets a token" true "$(jq .entra.ok <<<"$out")"
expect_eq "... expires_in 3599" 3599 "$(jq .entra.expires_in <<<"$out")"
expect_eq "MSAL Python with the /adfs authority gets a token" true "$(jq .adfs.ok <<<"$out")"
expect_eq "a wrong secret gives invalid_client" invalid_client "$(jq -r .wrong.error <<<"$out")"
expect_eq "... AADSTS7000215" 7000215 "$(jq '.wrong.codes[0]' <<<"$out")"
finish
