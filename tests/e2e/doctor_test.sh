#!/usr/bin/env bash
# `latchkeyd doctor` (issue 19 item 5): all "ok" on a fresh data dir, and one FAIL line naming
# the fix for each thing broken on purpose (data dir mode, a key file's mode, a public URL the
# certificate does not name, a database that is not one), with a non-zero exit. On PostgreSQL
# it also compares this machine's clock with the database's.
source "$(dirname "$0")/lib.sh"
PG_CLUSTER="$LK_SRC/tests/support/pg_cluster.sh"
PG_DIR=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
trap 'lk_cleanup; bash "$PG_CLUSTER" stop "$PG_DIR" || true' EXIT
lk_init lk
doctor() { "$LATCHKEYD" doctor --data-dir "$LK_TMP/lk" "$@" >"$LK_TMP/doctor.out" 2>&1; }
doctor && rc=0 || rc=$?
expect_eq "a fresh data dir: doctor exits 0" 0 "$rc"
check "... and every line is ok" bash -c "! grep -qv -e '^ok ' -e '^no problem found$' '$LK_TMP/doctor.out'"
check "... including the database and the certificate" grep -q "^ok    database (SQLite)" "$LK_TMP/doctor.out"

chmod 755 "$LK_TMP/lk"
key=$(ls "$LK_TMP/lk/keys/"*.pem | head -1)
chmod 644 "$key"
LATCHKEY_PUBLIC_URL=https://latchkey.example.com doctor && rc=0 || rc=$?
cat "$LK_TMP/doctor.out"
expect_eq "broken on purpose: doctor exits 1" 1 "$rc"
check "the data dir's mode, with the fix" grep -q "^FAIL  data dir .* mode 0755 .* -> chmod 700 " "$LK_TMP/doctor.out"
check "the key file's mode, with the fix" grep -qF "FAIL  key file $key has mode 0644 -> chmod 600 $key" "$LK_TMP/doctor.out"
check "the certificate does not name the public URL's host" \
  grep -q "^FAIL  certificate does not name latchkey.example.com" "$LK_TMP/doctor.out"
expect_eq "one line per problem, counted" "3 problem(s) to fix" "$(tail -1 "$LK_TMP/doctor.out")"

chmod 700 "$LK_TMP/lk"; chmod 600 "$key"
echo "not a database" >"$LK_TMP/not.db"
doctor --database "sqlite:$LK_TMP/not.db" && rc=0 || rc=$?
expect_eq "a file that is not a database: exit 1" 1 "$rc"
check "... said on a FAIL line" grep -q "^FAIL  database" "$LK_TMP/doctor.out"

# PostgreSQL: reachable, schema current, and the two clocks compared (same machine: within the
# round trip). A database nobody has initialised has no signing key yet: that FAIL is expected.
PGURL=$(bash "$PG_CLUSTER" start "$PG_DIR" | sed -n 's/^PGURL=//p')
doctor --database "$PGURL" || true
cat "$LK_TMP/doctor.out"
check "PostgreSQL: reachable, schema current" grep -q "^ok    database (PostgreSQL)" "$LK_TMP/doctor.out"
check "PostgreSQL: the clocks compared, ok, with the round trip" \
  grep -Eq "^ok    clock: [0-9]+ ms (behind|ahead of) the database's \(round trip [0-9]+ ms\)$" \
  "$LK_TMP/doctor.out"
bash "$PG_CLUSTER" pause "$PG_DIR"
doctor --database "$PGURL" && rc=0 || rc=$?
expect_eq "PostgreSQL down: exit 1" 1 "$rc"
check "... said on a FAIL line, with what to check" \
  grep -q "^FAIL  database.* -> check that PostgreSQL is reachable" "$LK_TMP/doctor.out"
finish
