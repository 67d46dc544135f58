#!/usr/bin/env bash
# `latchkeyd migrate-store` (issue #7): an embedded SQLite data dir moved onto PostgreSQL keeps
# every token, secret and permission working: the bootstrap admin PAT, a service principal's
# client secret (Entra), its CAN_USE grant, its PAT; a deleted PAT stays refused.
source "$(dirname "$0")/lib.sh"
PG_CLUSTER="$LK_SRC/tests/support/pg_cluster.sh"
PG_DIR=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
trap 'lk_cleanup; bash "$PG_CLUSTER" stop "$PG_DIR" || true' EXIT

list_status() { lkstatus -H "Authorization: Bearer $1" "$LK_URL/api/2.0/token/list"; }
entra_token() {
  lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" \
    -d "client_id=$SP_CLIENT_ID" -d grant_type=client_credentials \
    -d 'scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default' \
    -d "client_secret=$SP_SECRET" | jq -r .access_token
}
create_pat() {
  lkcurl -X POST "$LK_URL/api/2.0/token/create" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' -d "{\"comment\": \"$2\"}"
}

# On SQLite: a service principal with a secret and a grant, two PATs, one of them deleted.
lk_start sq
lk_new_sp migrated-sp
lk_grant_can_use "$SP_CLIENT_ID"
AAD_TOKEN=$(entra_token)
PAT_KEPT=$(create_pat "$AAD_TOKEN" kept | jq -r .token_value)
gone=$(create_pat "$AAD_TOKEN" gone)
PAT_GONE=$(jq -r .token_value <<<"$gone")
lkcurl -X POST "$LK_URL/api/2.0/token/delete" -H "Authorization: Bearer $AAD_TOKEN" -H "Content-Type: application/json" \
  -d "{\"token_id\": \"$(jq -r .token_info.token_id <<<"$gone")\"}" >/dev/null
expect_eq "before: the kept PAT works on SQLite" 200 "$(list_status "$PAT_KEPT")"
before=$(lkcurl -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/token-management/tokens" | jq -S '[.token_infos[] | {token_id, comment, expiry_time, creation_time}] | sort_by(.token_id)')
kill -TERM "$LK_PID"
rc=0; wait "$LK_PID" || rc=$?
expect_eq "latchkeyd stops cleanly (nothing writes to SQLite during the copy)" 0 "$rc"

# Copy onto a fresh PostgreSQL, then serve the same data dir from it.
PGURL=$(bash "$PG_CLUSTER" start "$PG_DIR" | sed -n 's/^PGURL=//p')
check "migrate-store copies the SQLite data dir onto PostgreSQL" \
  "$LATCHKEYD" migrate-store --data-dir "$LK_TMP/sq" --to "$PGURL"
check "migrate-store refuses to copy into a database that is not empty" \
  bash -c "! '$LATCHKEYD' migrate-store --data-dir '$LK_TMP/sq' --to '$PGURL' 2>/dev/null"
mv "$LK_TMP/sq/latchkey.db" "$LK_TMP/sq.db.moved"  # prove nothing is read from SQLite any more
lk_serve sq --database "$PGURL"

expect_eq "the admin's bootstrap PAT works on PostgreSQL" 200 "$(list_status "$LK_ADMIN_TOKEN")"
expect_eq "the service principal's PAT works" 200 "$(list_status "$PAT_KEPT")"
expect_eq "the deleted PAT stays refused" 403 "$(list_status "$PAT_GONE")"
AAD_TOKEN=$(entra_token)
check "the client secret still gets an Entra token" grep -Eq '^[A-Za-z0-9_-]+\.' <<<"$AAD_TOKEN"
PAT_NEW=$(create_pat "$AAD_TOKEN" after | jq -r .token_value)
check "the CAN_USE grant still lets it create PATs" grep -Eq '^dapi[0-9a-f]{32}$' <<<"$PAT_NEW"
after=$(lkcurl -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/token-management/tokens" | jq -S --arg new "$PAT_NEW" '[.token_infos[] | select(.comment != "after") | {token_id, comment, expiry_time, creation_time}] | sort_by(.token_id)')
expect_eq "every PAT's metadata came across unchanged" "$before" "$after"
finish
