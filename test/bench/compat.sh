#!/usr/bin/env bash
#
# test/bench/compat.sh -- what do next_version(), diff() and publish() cost
# on a wide product with several releases?
#
# A candidate release is compared with every earlier release of its major
# version, column by column.  This script builds product "wide" from table
# bench.wide of BENCH_COLUMNS integer columns, published BENCH_RELEASES
# times in major version 1 (1.0.0, then one column more in each minor
# release), and then measures, each in a new connection:
#
#   next_version compatible  next_version() of the table with one more column
#   next_version breaking    next_version() of view bench_next.wide (the
#                            same output name) retyping every column to
#                            bigint: every column breaks every release
#   diff breaking            diff() of that view against the latest release
#   publish breaking         publish() of that view as a minor release,
#                            refused with every breaking change listed once
#   publish compatible       publish() of the table with one more column,
#                            rolled back
#
# For each: the time psql measures (\timing), and the growth of the backend
# process's peak resident memory during the call (VmHWM in
# /proc/<pid>/status, read by psql's \! on the same machine: the script must
# run on the server's machine, as root or as the server's OS user).
# Nothing is asserted: these are numbers to compare between builds.
#
# Usage (as root, or as a user who can run initdb; root runs the server as
# the "postgres" OS user):
#
#   bash test/bench/compat.sh
#
# Environment:
#   BENCH_COLUMNS=1500   columns of bench.wide at 1.0.0
#   BENCH_RELEASES=5     releases of major version 1
#   BENCH_PORT=          port of the throwaway cluster (default: a free one)
#   BENCH_INSTALL=0      1: run "make install" even if the extension is there
#   PG_CONFIG=pg_config  which PostgreSQL to use
#
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

BENCH_COLUMNS=${BENCH_COLUMNS:-1500}
BENCH_RELEASES=${BENCH_RELEASES:-5}
BENCH_PORT=${BENCH_PORT:-}
BENCH_INSTALL=${BENCH_INSTALL:-0}
BENCH_PIN=0
PG_CONFIG=${PG_CONFIG:-pg_config}

die() { echo "compat.sh: $*" >&2; exit 1; }

for v in BENCH_COLUMNS BENCH_RELEASES; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v must be a whole number of at least 1"
done
[ "$BENCH_COLUMNS" -le 1500 ] ||
	die "BENCH_COLUMNS must be at most 1500 (a table has at most 1600 columns, and releases add some)"

. "$here/lib.sh"

install_extension_if_missing

start_cluster "${TMPDIR:-/tmp}" <<EOF
# test/bench/compat.sh
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
jit = off
EOF

PSQLX=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$workdir" -p "$BENCH_PORT" -U postgres -d postgres)
sql() { "${PSQLX[@]}" "$@"; }

echo "== setup: bench.wide with $BENCH_COLUMNS columns, product wide in $BENCH_RELEASES releases"
sql -v columns="$BENCH_COLUMNS" -v releases="$BENCH_RELEASES" >/dev/null <<'EOF'
CREATE ROLE bench_team NOLOGIN;
CREATE SCHEMA bench;
CREATE SCHEMA bench_next;
GRANT USAGE ON SCHEMA bench, bench_next TO bench_team;
ALTER DEFAULT PRIVILEGES IN SCHEMA bench, bench_next GRANT SELECT ON TABLES TO bench_team;
SELECT format('CREATE TABLE bench.wide (%s)',
              string_agg(format('c%s integer', g), ', ' ORDER BY g))
  FROM generate_series(1, :columns) g \gexec
CREATE EXTENSION dataproduct;
SELECT dataproduct.create_domain('bench', 'bench_team');
SELECT dataproduct.create_product('wide', 'bench');
SELECT dataproduct.publish('wide', '1.0.0', '{bench.wide}');
SELECT format('ALTER TABLE bench.wide ADD COLUMN r%s integer', r) AS add_column,
       format('SELECT dataproduct.publish(''wide'', ''1.%s.0'', ''{bench.wide}'')', r - 1) AS publish
  FROM generate_series(2, :releases) r \gexec
ALTER TABLE bench.wide ADD COLUMN candidate integer;
SELECT format('CREATE VIEW bench_next.wide AS SELECT %s FROM bench.wide',
              string_agg(format('%I::bigint AS %I', attname, attname), ', ' ORDER BY attnum))
  FROM pg_attribute
 WHERE attrelid = 'bench.wide'::regclass AND attnum > 0 AND NOT attisdropped
   AND attname <> 'candidate' \gexec
EOF
echo "-- $(sql -At -c "SELECT string_agg(version, ', ' ORDER BY major, minor, patch) FROM dataproduct.versions")"

# measure LABEL SQL [rollback]: run SQL in a new connection, in a
# transaction rolled back afterwards if asked; print its time and how much
# the backend's peak resident memory grew
measure() {
	local out ms before after begin="" end=""
	if [ "${3:-}" = rollback ]; then begin="BEGIN;" end="ROLLBACK;"; fi
	out=$(sql -v ON_ERROR_STOP=0 2>&1 <<EOF
$begin
SELECT pg_backend_pid() AS pid \gset
\setenv BENCH_BACKEND :pid
\! awk '/^VmHWM/ { print "hwm", \$2 }' /proc/\$BENCH_BACKEND/status
\o /dev/null
\timing on
$2
\timing off
\o
\! awk '/^VmHWM/ { print "hwm", \$2 }' /proc/\$BENCH_BACKEND/status
$end
EOF
	)
	ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
	before=$(echo "$out" | awk '/^hwm/ { print $2; exit }')
	after=$(echo "$out" | awk '/^hwm/ { v = $2 } END { print v }')
	[ -n "$ms" ] && [ -n "$before" ] && [ -n "$after" ] ||
		{ echo "$out" >&2; die "no measurement for $1"; }
	printf '%-26s %10.1f ms %10.1f MB  %s\n' "$1" "$ms" \
		"$(awk -v a="$after" -v b="$before" 'BEGIN { print (a - b) / 1024 }')" \
		"$(echo "$out" | sed -n 's/^\(psql:[^ ]* \)\{0,1\}ERROR: *//p' | head -1 | cut -c1-60)"
}

echo
echo "== $BENCH_COLUMNS columns, $BENCH_RELEASES releases; time, and growth of the backend's peak RSS"
measure "next_version compatible" "SELECT dataproduct.next_version('wide', '{bench.wide}');"
measure "next_version breaking" "SELECT dataproduct.next_version('wide', '{bench_next.wide}');"
measure "diff breaking" "SELECT count(*) FROM dataproduct.diff('wide', '{bench_next.wide}');"
measure "publish breaking" "SELECT dataproduct.publish('wide', '1.$BENCH_RELEASES.0', '{bench_next.wide}');"
measure "publish compatible" "SELECT dataproduct.publish('wide', '1.$BENCH_RELEASES.0', '{bench.wide}');" rollback
exit 0
