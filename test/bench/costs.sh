#!/usr/bin/env bash
#
# test/bench/costs.sh -- what does reading dataproduct.costs cost with many
# products?
#
# Builds BENCH_PRODUCTS products (1,000) in BENCH_DOMAINS domains (10), each
# published as version 1.0.0 of a view that joins a table of its own with
# one table its domain's products share, so that the walk through pg_depend
# goes version view -> view in between -> two tables, and every shared
# table counts for every product of its domain.  Then measures, each in a
# new connection, BENCH_RUNS times (5), and prints the median and the
# fastest time psql measured (\timing):
#
#   costs (superuser)   SELECT * FROM dataproduct.costs: every row
#   costs (one domain)  the same as a member of one domain's owner, who
#                       sees that domain's rows only
#
# Nothing is asserted: these are numbers to compare between builds.
#
# Usage (as root, or as a user who can run initdb; root runs the server as
# the "postgres" OS user):
#
#   bash test/bench/costs.sh
#
# Environment:
#   BENCH_PRODUCTS=1000  products
#   BENCH_DOMAINS=10     domains they belong to
#   BENCH_RUNS=5         measurements of each query
#   BENCH_PORT=          port of the throwaway cluster (default: a free one)
#   BENCH_INSTALL=0      1: run "make install" even if the extension is there
#   PG_CONFIG=pg_config  which PostgreSQL to use
#
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

BENCH_PRODUCTS=${BENCH_PRODUCTS:-1000}
BENCH_DOMAINS=${BENCH_DOMAINS:-10}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_PORT=${BENCH_PORT:-}
BENCH_INSTALL=${BENCH_INSTALL:-0}
BENCH_PIN=0
PG_CONFIG=${PG_CONFIG:-pg_config}

die() { echo "costs.sh: $*" >&2; exit 1; }

for v in BENCH_PRODUCTS BENCH_DOMAINS BENCH_RUNS; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v must be a whole number of at least 1"
done

. "$here/lib.sh"

install_extension_if_missing

start_cluster "${TMPDIR:-/tmp}" <<EOF
# test/bench/costs.sh
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
jit = off
EOF

PSQLX=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$workdir" -p "$BENCH_PORT" -U postgres -d postgres)
sql() { "${PSQLX[@]}" "$@"; }

echo "== setup: $BENCH_PRODUCTS products in $BENCH_DOMAINS domains"
sql -v products="$BENCH_PRODUCTS" -v domains="$BENCH_DOMAINS" >/dev/null <<'EOF'
CREATE EXTENSION dataproduct;
CREATE SCHEMA bench;
CREATE ROLE bench_reader LOGIN;
SELECT format('CREATE ROLE bench_team_%s', d),
       format('GRANT USAGE ON SCHEMA bench TO bench_team_%s', d),
       format('CREATE TABLE bench.shared_%s (id int PRIMARY KEY, label text)', d),
       format('INSERT INTO bench.shared_%s SELECT g, ''l'' || g FROM generate_series(1, 100) g', d),
       format('GRANT SELECT ON bench.shared_%s TO bench_team_%s', d, d),
       format('SELECT dataproduct.create_domain(''domain_%s'', ''bench_team_%s'')', d, d)
  FROM generate_series(1, :domains) d \gexec
GRANT bench_team_1 TO bench_reader;
SELECT format('CREATE TABLE bench.t_%s (id int PRIMARY KEY, shared_id int, amount numeric)', p),
       format('INSERT INTO bench.t_%s SELECT g, g %% 100 + 1, g FROM generate_series(1, 10) g', p),
       format('CREATE VIEW bench.p_%s AS SELECT t.id, t.amount, s.label FROM bench.t_%s t JOIN bench.shared_%s s ON s.id = t.shared_id', p, p, d),
       format('GRANT SELECT ON bench.t_%s, bench.p_%s TO bench_team_%s', p, p, d),
       format('SELECT dataproduct.create_product(''product_%s'', ''domain_%s'')', p, d),
       format('SELECT dataproduct.publish(''product_%s'', ''1.0.0'', ''{bench.p_%s}'')', p, p)
  FROM generate_series(1, :products) p,
       LATERAL (SELECT (p - 1) % :domains + 1 AS d) x \gexec
ANALYZE;
EOF
echo "-- $(sql -At -c "SELECT count(*) FROM dataproduct.catalog") live versions, $(sql -At -c "SELECT count(*) FROM dataproduct.costs") rows in costs"

# measure LABEL ROLE SQL: BENCH_RUNS times, each in a new connection as
# ROLE; prints the median and the fastest time psql measured
measure() {
	local times=() out ms
	for _ in $(seq "$BENCH_RUNS"); do
		out=$("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$workdir" -p "$BENCH_PORT" -U "$2" -d postgres 2>&1 <<SQL
\o /dev/null
\timing on
$3
SQL
		) || { echo "$out" >&2; die "$1 failed"; }
		ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
		[ -n "$ms" ] || { echo "$out" >&2; die "no measurement for $1"; }
		times+=("$ms")
	done
	printf '%s\n' "${times[@]}" | sort -g | awk -v label="$1" '
		{ t[NR] = $1 }
		END { printf "%-20s median %8.1f ms   fastest %8.1f ms   (%d runs)\n",
		      label, (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[1], NR }'
}

echo
echo "== SELECT * FROM dataproduct.costs"
measure "costs (superuser)" postgres "SELECT * FROM dataproduct.costs;"
measure "costs (one domain)" bench_reader "SELECT * FROM dataproduct.costs;"
exit 0
