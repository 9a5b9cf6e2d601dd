#!/usr/bin/env bash
#
# test/bench/usage.sh -- what does usage tracking cost?
#
# 1. Point lookups through a version view (pgbench, prepared protocol, like
#    pgbench -S: SELECT ... FROM orders_v1.orders WHERE id = :id), with
#    dataproduct in shared_preload_libraries ("on": every lookup is counted)
#    and without it ("off"), with 1 and 2 clients.  Goal: on/off >= 0.98.
# 2. SELECT * FROM dataproduct.usage with the counters of 1,000 products.
#
# Method (see views.sh for why):
#   - one throwaway cluster, restarted between rounds with or without the
#     library preloaded (an included file sets shared_preload_libraries);
#     rounds alternate off, on, on, off, ... so that a drift of the machine
#     weighs on both alike; every round is a new server start, prewarmed
#     and warmed up (BENCH_WARMUP seconds) before it is measured;
#   - each pgbench run mixes, transaction by transaction, the lookup through
#     the version view ("product") and through a hand-written view of the
#     same columns ("hand", never counted); a script's tps is 1 / the mean
#     latency of the faster half of its transactions;
#   - reported: the median over the rounds of product tps, on and off, and
#     their ratio (median on / median off), and the median of per-round
#     product/hand ratios, on and off: their quotient is the same overhead
#     measured inside each run, where the machine's noise cancels out.
#
# Usage (as root, or as a user who can run initdb):
#
#   bash test/bench/usage.sh
#
# Environment (defaults give a run of about 5 minutes):
#   BENCH_ROWS=100000    rows in bench.orders
#   BENCH_SECONDS=5      seconds of one round
#   BENCH_ROUNDS=6       rounds per mode (on, off) and number of clients
#   BENCH_WARMUP=2       seconds of warm-up after each start
#   BENCH_CLIENTS="1 2"  numbers of clients
#   BENCH_PRODUCTS=1000  products for the cost of the usage view
#   BENCH_PIN=1          pin server and pgbench to different CPUs (0: don't)
#   BENCH_PORT=          port of the throwaway cluster (default: a free one)
#   BENCH_INSTALL=0      1: run "make install" even if the extension is there
#   BENCH_STRICT=0       1: exit 1 when a ratio misses its target
#   PG_CONFIG=pg_config  which PostgreSQL to use
#
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

BENCH_ROWS=${BENCH_ROWS:-100000}
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-6}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CLIENTS=${BENCH_CLIENTS:-1 2}
BENCH_PRODUCTS=${BENCH_PRODUCTS:-1000}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_PORT=${BENCH_PORT:-}
BENCH_INSTALL=${BENCH_INSTALL:-0}
BENCH_STRICT=${BENCH_STRICT:-0}
PG_CONFIG=${PG_CONFIG:-pg_config}

TARGET=0.98

die() { echo "usage.sh: $*" >&2; exit 1; }

for v in BENCH_ROWS BENCH_SECONDS BENCH_ROUNDS BENCH_WARMUP BENCH_PRODUCTS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
for c in $BENCH_CLIENTS; do
	[[ $c =~ ^[1-9][0-9]*$ ]] || die "BENCH_CLIENTS: '$c' is not a number of clients"
done
[ "$BENCH_SECONDS" -ge 1 ] && [ "$BENCH_ROUNDS" -ge 1 ] && [ "$BENCH_ROWS" -ge 1 ] ||
	die "BENCH_SECONDS, BENCH_ROUNDS and BENCH_ROWS must be at least 1"

. "$here/lib.sh"

install_extension_if_missing

start_cluster "${TMPDIR:-/tmp}" <<EOF
# test/bench/usage.sh: a quiet, repeatable, read-only benchmark server
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
jit = off
max_parallel_workers_per_gather = 0
include_if_exists = 'preload.conf'
EOF

PSQLX=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$workdir" -p "$BENCH_PORT" -U postgres -d postgres)
sql() { "${PSQLX[@]}" "$@"; }
sql_value() { "${PSQLX[@]}" -At "$@"; }

# restart MODE: restart the server with (on) or without (off) the library
# preloaded, its data in shared buffers
restart() {
	if [ "$1" = on ]; then
		echo "shared_preload_libraries = 'dataproduct'" >"$datadir/preload.conf"
	else
		: >"$datadir/preload.conf"
	fi
	if [ "$is_root" = 1 ]; then chown postgres: "$datadir/preload.conf"; fi
	local cmd=("$PG_CTL" -D "$datadir" -l "$workdir/server.log" -w -t 60 restart)
	if [ -n "$server_cpu" ]; then cmd=(taskset -c "$server_cpu" "${cmd[@]}"); fi
	as_pg "${cmd[@]}" >/dev/null
	[ "$(sql_value -c 'SHOW shared_preload_libraries')" = "$([ "$1" = on ] && echo dataproduct)" ] ||
		die "the server did not start with the library $1"
	sql_value -c "SELECT pg_prewarm('bench.orders') + pg_prewarm('bench.orders_pkey')" >/dev/null
}

# ---------------------------------------------------------------------------
# Data: the data product and a hand-written view of the same columns.
# ---------------------------------------------------------------------------
echo "== setup: bench.orders with $BENCH_ROWS rows, data product orders 1.0.0"
sql -v rows="$BENCH_ROWS" >/dev/null <<'EOF'
CREATE ROLE bench_team NOLOGIN;
CREATE SCHEMA bench;
CREATE TABLE bench.orders (
    id         int PRIMARY KEY,
    customer   text NOT NULL,
    amount     numeric(10,2),
    created_at timestamptz
);
SELECT setseed(0.42);
INSERT INTO bench.orders
SELECT i, 'customer-' || (i % 5000), round((random() * 1000)::numeric, 2),
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
  FROM generate_series(1, :rows) AS i;
GRANT USAGE ON SCHEMA bench TO bench_team;
GRANT SELECT ON bench.orders TO bench_team;
CREATE EXTENSION dataproduct;
CREATE EXTENSION pg_prewarm;
SELECT dataproduct.create_domain('bench', 'bench_team');
SELECT dataproduct.create_product('orders', 'bench');
SELECT dataproduct.publish('orders', '1.0.0', '{bench.orders}');
CREATE VIEW bench.orders_hand AS
SELECT id, customer, amount, created_at FROM bench.orders;
ALTER VIEW bench.orders_hand OWNER TO bench_team;
VACUUM (FREEZE, ANALYZE) bench.orders;
CHECKPOINT;
EOF

mkdir -p "$workdir/scripts" "$workdir/log"
for r in product hand; do
	rel=orders_v1.orders
	[ "$r" = hand ] && rel=bench.orders_hand
	printf '%s\n%s\n' '\set id random(1, :rows)' \
		"SELECT id, customer, amount, created_at FROM $rel WHERE id = :id;" \
		>"$workdir/scripts/$r.sql"
done

# One round: CLIENTS clients for SECONDS seconds, product and hand mixed at
# random; prints "tps_product tps_hand".
run_round() { # clients seconds
	local prefix="$workdir/log/round" out
	rm -f "$prefix".*
	local cmd=("$PGBENCH" -n -c "$1" -j "$1" -M prepared -T "$2" -D rows="$BENCH_ROWS"
		-l --log-prefix="$prefix" -h "$workdir" -p "$BENCH_PORT" -U postgres
		-f "$workdir/scripts/product.sql" -f "$workdir/scripts/hand.sql" postgres)
	if [ -n "$client_cpu" ]; then cmd=(taskset -c "$client_cpu" "${cmd[@]}"); fi
	out=$("${cmd[@]}" 2>&1) || { echo "$out" >&2; die "pgbench failed"; }
	# log line: client_id transaction_no latency_us script_no epoch_s epoch_us;
	# with several clients, tps = clients / mean latency
	cat "$prefix".* | sort -k4,4n -k3,3n | awk -v clients="$1" '
		function flush() {
			if (n > 0) {
				h = int((n + 1) / 2); s = 0
				for (j = 1; j <= h; j++) s += v[j]
				tps[cur] = clients * 1e6 * h / s
			}
			n = 0
		}
		NR == 1 { cur = $4 }
		$4 != cur { flush(); cur = $4 }
		{ v[++n] = $3 }
		END {
			flush()
			if (!(0 in tps) || !(1 in tps)) exit 1
			printf "%.3f %.3f\n", tps[0], tps[1]
		}' || die "pgbench logged no transactions of a script"
	rm -f "$prefix".*
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2];
		else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a / b }'; }
below() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x < t) }'; }

if [ -n "$server_cpu" ]; then
	pinned="server on cpu $server_cpu, pgbench on cpu $client_cpu"
else
	pinned="not pinned"
fi
echo
echo "== point lookups: $BENCH_ROUNDS rounds of ${BENCH_SECONDS}s per mode and number of clients," \
	"each after a restart and ${BENCH_WARMUP}s of warm-up; $pinned"

declare -a ROWS_OUT=()
misses=0
for c in $BENCH_CLIENTS; do
	declare -A TP=() RH=()
	TP=([on]="" [off]="") RH=([on]="" [off]="")
	for ((i = 0; i < BENCH_ROUNDS; i++)); do
		order="off on"
		[ $((i % 2)) = 1 ] && order="on off"
		for mode in $order; do
			restart "$mode"
			[ "$BENCH_WARMUP" -gt 0 ] && run_round "$c" "$BENCH_WARMUP" >/dev/null
			read -r p h <<<"$(run_round "$c" "$BENCH_SECONDS")"
			TP[$mode]+=" $p"
			RH[$mode]+=" $(div "$p" "$h")"
		done
	done
	# shellcheck disable=SC2086 # word lists
	{
		mon=$(median ${TP[on]}) moff=$(median ${TP[off]})
		rhon=$(median ${RH[on]}) rhoff=$(median ${RH[off]})
	}
	ratio=$(div "$mon" "$moff")
	inrun=$(div "$rhon" "$rhoff")
	echo "   $c client(s), product tps per round, off:${TP[off]}"
	echo "   $c client(s), product tps per round, on: ${TP[on]}"
	note=ok
	if below "$ratio" "$TARGET" && below "$inrun" "$TARGET"; then
		note="< $TARGET"
		misses=$((misses + 1))
	fi
	ROWS_OUT+=("$(printf '%7s %12.1f %12.1f %8.3f %14.3f %14.3f %10.3f  %s' \
		"$c" "$moff" "$mon" "$ratio" "$rhoff" "$rhon" "$inrun" "$note")")
done

echo
echo "== results (medians over $BENCH_ROUNDS rounds; target: on/off >= $TARGET, by either measure)"
printf '%7s %12s %12s %8s %14s %14s %10s  %s\n' clients "tps off" "tps on" on/off \
	"prod/hand off" "prod/hand on" "in-run" target
printf '%s\n' "------- ------------ ------------ -------- -------------- -------------- ----------  ------"
printf '%s\n' "${ROWS_OUT[@]}"

# ---------------------------------------------------------------------------
# The usage view with the counters of BENCH_PRODUCTS products.
# ---------------------------------------------------------------------------
echo
echo "== dataproduct.usage with $BENCH_PRODUCTS products read once each"
restart on
sql -v n="$BENCH_PRODUCTS" >/dev/null <<'EOF'
SELECT dataproduct.usage_reset();
CREATE TABLE bench.small (id int PRIMARY KEY, v text);
GRANT SELECT ON bench.small TO bench_team;
SELECT dataproduct.create_product('p' || g, 'bench') FROM generate_series(1, :n) g;
SELECT dataproduct.publish('p' || g, '1.0.0', '{bench.small}') FROM generate_series(1, :n) g;
DO $$
BEGIN
    FOR i IN 1..(SELECT count(*) FROM dataproduct.catalog WHERE product ~ '^p[0-9]+$') LOOP
        EXECUTE format('SELECT id, v FROM %I.small', 'p' || i || '_v1');
    END LOOP;
END
$$;
EOF
rows=$(sql_value -c 'SELECT count(*) FROM dataproduct.usage')
echo 'SELECT * FROM dataproduct.usage;' >"$workdir/scripts/usage.sql"
out=$("$PGBENCH" -n -c 1 -t 20 -f "$workdir/scripts/usage.sql" -h "$workdir" -p "$BENCH_PORT" \
	-U postgres postgres 2>&1) || { echo "$out" >&2; die "pgbench of the usage view failed"; }
latency=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
echo "   $rows rows; SELECT * FROM dataproduct.usage: ${latency} ms on average over 20 runs"

echo
if [ "$misses" -gt 0 ]; then
	echo "$misses configuration(s) missed the target (a busy machine? more BENCH_SECONDS/BENCH_ROUNDS)"
	if [ "$BENCH_STRICT" = 1 ]; then exit 1; fi
else
	echo "target met"
fi
exit 0
