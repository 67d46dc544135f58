#!/usr/bin/env bash
# Issue 22, item 7: `latchkeyd backup` copies the SQLite database while the server serves
# (online backup API), the copy is 0600 and passes integrity_check; `latchkeyd restore` is
# refused while the server has the database open; after a stop, restoring brings back the
# state of the backup: a PAT deleted after the backup works again.
source "$(dirname "$0")/lib.sh"
DATA="$LK_TMP/lk"
DB="$DATA/latchkey.db"
BACKUP="$LK_TMP/backups/latchkey-backup.db"
mkdir -p "$LK_TMP/backups"

lk_start lk
create() {
  lkcurl -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    "$LK_URL/api/2.0/token/create" -d '{"comment":"backup test","lifetime_seconds":3600}'
}
list_status() {
  lkstatus -H "Authorization: Bearer $1" "$LK_URL/api/2.0/token/list"
}
created=$(create)
PAT=$(jq -r .token_value <<<"$created")
PAT_ID=$(jq -r .token_info.token_id <<<"$created")
expect_eq "the PAT works" 200 "$(list_status "$PAT")"

# Online: the server keeps serving writes while the backup runs.
( for i in $(seq 1 20); do create >/dev/null; done ) &
writer=$!
out=$("$LATCHKEYD" backup --data-dir "$DATA" --to "$BACKUP")
wait "$writer"
expect_eq "backup reports integrity_check ok" ok "$(jq -r .integrity_check <<<"$out")"
expect_eq "the backup file is mode 0600" 600 "$(stat -c %a "$BACKUP")"
expect_eq "the backup passes integrity_check" ok "$(sqlite3 "$BACKUP" 'PRAGMA integrity_check')"
check "the backup is one file (no -wal beside it)" test ! -e "$BACKUP-wal"
check "the backup holds the PAT" test "$(sqlite3 "$BACKUP" "SELECT count(*) FROM pats WHERE token_id = '$PAT_ID'")" = 1
check "backup refuses to overwrite a file" bash -c "! '$LATCHKEYD' backup --data-dir '$DATA' --to '$BACKUP' 2>/dev/null"

expect_eq "delete the PAT" 200 "$(lkstatus -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" \
  "$LK_URL/api/2.0/token/delete" -d "{\"token_id\":\"$PAT_ID\"}")"
expect_eq "the deleted PAT is refused" 403 "$(list_status "$PAT")"

# Not under a running server: its caches would no longer match the database.
if "$LATCHKEYD" restore --data-dir "$DATA" --from "$BACKUP" 2>"$LK_TMP/restore.err"; then
  fail "restore is refused while the server runs"
else
  pass "restore is refused while the server runs"
fi
check "... saying why" grep -q "in use" "$LK_TMP/restore.err"
expect_eq "... and changes nothing: the PAT is still refused" 403 "$(list_status "$PAT")"

lk_stop
out=$("$LATCHKEYD" restore --data-dir "$DATA" --from "$BACKUP")
expect_eq "restore reports integrity_check ok" ok "$(jq -r .integrity_check <<<"$out")"
expect_eq "the restored database passes integrity_check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
lk_serve lk
expect_eq "after restore, the PAT deleted after the backup works again" 200 "$(list_status "$PAT")"
expect_eq "the admin token works" 200 "$(list_status "$LK_ADMIN_TOKEN")"
check "the audit trail is that of the backup (no token.delete of the PAT)" test \
  "$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE action = 'token.delete' AND target = 'token:$PAT_ID'")" = 0
lk_stop

# A file that is not a latchkey database is refused, and the database is left alone.
echo "not a database" > "$LK_TMP/garbage.db"
check "restore refuses a file that is not a database" bash -c \
  "! '$LATCHKEYD' restore --data-dir '$DATA' --from '$LK_TMP/garbage.db' 2>/dev/null"
expect_eq "... and the database still passes integrity_check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
finish
