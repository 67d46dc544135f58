#!/usr/bin/env bash
# Security review (issue 25), the resource-bound test: mixed unauthenticated garbage (long
# client ids, random bearers, huge Host headers, random paths) from 50 loopback addresses for
# SOAK_SECONDS (make test: 45 s; the documented run: SOAK_SECONDS=600), with a legitimate client
# served throughout. Afterwards RSS is within 50 MB of its start and the database (its pages in
# use, after a checkpoint) within 1 MB.
source "$(dirname "$0")/lib.sh"
SECONDS_TO_RUN=${SOAK_SECONDS:-45}
lk_start
lk_new_sp soak
lk_grant_can_use "$SP_CLIENT_ID"
DB="$LK_TMP/lk/latchkey.db"
db_bytes() {
  sqlite3 "$DB" 'PRAGMA wal_checkpoint(PASSIVE);' >/dev/null 2>&1 || true
  sqlite3 "$DB" 'SELECT (page_count - freelist_count) * page_size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size();'
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$LK_PID/status"; }
# Warm up: one legitimate round and a few garbage requests, so the start figures include the
# caches and pools any run has.
lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/preview/scim/v2/Me" >/dev/null
python3 "$(dirname "$0")/garbage_soak.py" "$LK_URL" "$LK_CA" "$LK_TENANT" "$LK_ADMIN_TOKEN" \
  "$SP_CLIENT_ID" "$SP_SECRET" 3 >/dev/null || true
sleep 1
rss0=$(rss_kb) db0=$(db_bytes)
echo "# start: RSS ${rss0} kB, database ${db0} bytes; ${SECONDS_TO_RUN} s of garbage"
check "garbage for ${SECONDS_TO_RUN} s: no 5xx, the legitimate client always served" \
  python3 "$(dirname "$0")/garbage_soak.py" "$LK_URL" "$LK_CA" "$LK_TENANT" "$LK_ADMIN_TOKEN" \
  "$SP_CLIENT_ID" "$SP_SECRET" "$SECONDS_TO_RUN"
rss1=$(rss_kb) db1=$(db_bytes)
echo "# end: RSS ${rss1} kB (+$(( (rss1 - rss0) / 1024 )) MB), database ${db1} bytes (+$(( db1 - db0 )))"
check "RSS within 50 MB of its start" test $((rss1 - rss0)) -lt $((50 * 1024))
check "the database within 1 MB of its start" test $((db1 - db0)) -lt $((1024 * 1024))
check "latchkeyd is still up" kill -0 "$LK_PID"
finish
