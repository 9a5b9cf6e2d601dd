#!/usr/bin/env bash
#
# test/bench/views.sh -- what does reading through a data product cost?
#
# Compares, with pgbench, reading a data product's version view
# (orders_v1.orders, made by dataproduct.publish) against a hand-written
# view of the same columns (bench.orders_hand) and against the base table
# (bench.orders), for
#
#   point  a primary-key lookup of a random id      (\set id random(1, :rows))
#   scan   SELECT sum(amount), count(*) over all BENCH_ROWS rows (100,000)
#
# each with the simple and the prepared query protocol.  Expected: the
# version view is as fast as the hand-written view (product/hand >= 0.97),
# and with prepared statements as fast as the table (product/base >= 0.98);
# with the simple protocol a view costs its rewrite on every query, a view
# of any kind, so product/base there shows what views cost, not dataproduct.
# The hand-written view is owned, like the version view, by the domain owner
# (bench_team): a view owned by a non-superuser costs a real privilege check
# on the table at every execution (about 0.4% of a point lookup), so with
# the same owner any difference left between the two is dataproduct's.
# Queries run as the superuser postgres.
#
# Method, to keep a shared 2-core machine's noise out of the ratios:
#   - a throwaway cluster (initdb in a mktemp dir, Unix socket only, own
#     port), tuned for repeatability: no autovacuum, no JIT, no parallel
#     query, data in shared_buffers (pg_prewarm), VACUUM (FREEZE, ANALYZE);
#   - one client (-c 1 -j 1); by default the server is pinned to the last
#     CPU and pgbench to the first, so the two never fight over one core;
#   - the three relations are interleaved as finely as pgbench can: one run
#     holds one script per relation (-f base -f hand -f product), and pgbench
#     picks one of them at random for every transaction, so whatever else
#     the machine does slows all three alike; each transaction's latency is
#     logged (-l) with the script it ran;
#   - a relation's tps in a run is 1 / the mean latency of the faster half
#     of its transactions (a load spike makes some transactions slow, never
#     fast: trimming the slow half removes most of it, for all three alike);
#   - per case and protocol: a BENCH_WARMUP-second warm-up run, then
#     BENCH_ROUNDS runs ("rounds") of BENCH_SECONDS seconds, each a new
#     connection; reported tps is the median over the rounds, a reported
#     ratio the median of the per-round ratios (printed too, to show the
#     spread).
#
# Alternating whole pgbench runs of each relation (base, hand, product,
# base, ...) was tried first: with another job busy on the machine, tps of
# runs seconds apart differed by up to 5x, and even the server's CPU time
# per transaction rose up to 4x, so no ratio of separate runs was stable;
# ratios within one mixed run stay within about 1%.
#
# Usage (as root, or as a user who can run initdb; root runs the server as
# the "postgres" OS user):
#
#   bash test/bench/views.sh
#
# Environment (defaults give a run of about 4 minutes):
#   BENCH_ROWS=100000    rows in bench.orders (the scan reads all of them)
#   BENCH_SECONDS=3      seconds of one round (one pgbench run)
#   BENCH_ROUNDS=15      rounds per case and protocol
#   BENCH_WARMUP=3       seconds of the warm-up run per case and protocol
#   BENCH_CASES="point scan"          which cases to run
#   BENCH_PROTOCOLS="simple prepared" which protocols to run
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
BENCH_SECONDS=${BENCH_SECONDS:-3}
BENCH_ROUNDS=${BENCH_ROUNDS:-15}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_CASES=${BENCH_CASES:-point scan}
BENCH_PROTOCOLS=${BENCH_PROTOCOLS:-simple prepared}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_PORT=${BENCH_PORT:-}
BENCH_INSTALL=${BENCH_INSTALL:-0}
BENCH_STRICT=${BENCH_STRICT:-0}
PG_CONFIG=${PG_CONFIG:-pg_config}

# targets (see the header)
TARGET_HAND=0.97
TARGET_BASE_PREPARED=0.98

die() { echo "views.sh: $*" >&2; exit 1; }

for c in $BENCH_CASES; do
	case $c in point | scan) ;; *) die "unknown case '$c' (point, scan)" ;; esac
done
for p in $BENCH_PROTOCOLS; do
	case $p in simple | prepared | extended) ;; *) die "unknown protocol '$p' (simple, prepared, extended)" ;; esac
done
for v in BENCH_ROWS BENCH_SECONDS BENCH_ROUNDS BENCH_WARMUP; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$BENCH_SECONDS" -ge 1 ] && [ "$BENCH_ROUNDS" -ge 1 ] && [ "$BENCH_ROWS" -ge 1 ] ||
	die "BENCH_SECONDS, BENCH_ROUNDS and BENCH_ROWS must be at least 1"

. "$here/lib.sh"

install_extension_if_missing

start_cluster "${TMPDIR:-/tmp}" <<EOF
# test/bench/views.sh: a quiet, repeatable, read-only benchmark server
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
jit = off
max_parallel_workers_per_gather = 0
EOF

PSQLX=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$workdir" -p "$BENCH_PORT" -U postgres -d postgres)
sql() { "${PSQLX[@]}" "$@"; }
sql_value() { "${PSQLX[@]}" -At "$@"; }

# ---------------------------------------------------------------------------
# Data, the data product and the hand-written view.
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
SELECT i,
       'customer-' || (i % 5000),
       round((random() * 1000)::numeric, 2),
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
  FROM generate_series(1, :rows) AS i;
GRANT USAGE ON SCHEMA bench TO bench_team;
GRANT SELECT ON bench.orders TO bench_team;

CREATE EXTENSION dataproduct;
SELECT dataproduct.create_domain('bench', 'bench_team');
SELECT dataproduct.create_product('orders', 'bench');

-- The team's own view, owned like the version view by the domain owner, so
-- that both read bench.orders with the same role's privileges.
CREATE VIEW bench.orders_hand AS
SELECT id, customer, amount, created_at FROM bench.orders;
ALTER VIEW bench.orders_hand OWNER TO bench_team;

VACUUM (FREEZE, ANALYZE) bench.orders;
CREATE EXTENSION pg_prewarm;
SELECT pg_prewarm('bench.orders'), pg_prewarm('bench.orders_pkey');
CHECKPOINT;
EOF
schema=$(sql_value -c "SELECT dataproduct.publish('orders', '1.0.0', ARRAY['bench.orders']::regclass[])")
product_rel=$(sql_value -c "SELECT format('%I.%I', '$schema', 'orders')")
[ -n "$schema" ] || die "publish returned no schema"

declare -A REL=([base]=bench.orders [hand]=bench.orders_hand [product]=$product_rel)
RELS=(base hand product)

echo "-- $product_rel (made by dataproduct.publish), owner $(sql_value -c "SELECT relowner::regrole FROM pg_class WHERE oid = '$product_rel'::regclass"):"
sql_value -c "SELECT pg_get_viewdef('$product_rel'::regclass, true)" | sed 's/^/   /'
echo "-- bench.orders_hand (hand-written), owner $(sql_value -c "SELECT relowner::regrole FROM pg_class WHERE oid = 'bench.orders_hand'::regclass"):"
sql_value -c "SELECT pg_get_viewdef('bench.orders_hand'::regclass, true)" | sed 's/^/   /'

# ---------------------------------------------------------------------------
# pgbench scripts and plans.
# ---------------------------------------------------------------------------
query() { # case relation
	case $1 in
	point) echo "SELECT id, customer, amount, created_at FROM $2 WHERE id = :id;" ;;
	scan) echo "SELECT sum(amount), count(*) FROM $2;" ;;
	esac
}
mkdir -p "$workdir/scripts"
for c in $BENCH_CASES; do
	for r in "${RELS[@]}"; do
		f="$workdir/scripts/$c-$r.sql"
		[ "$c" = point ] && echo '\set id random(1, :rows)' >"$f" || : >"$f"
		query "$c" "${REL[$r]}" >>"$f"
	done
done

echo
echo "== plans (EXPLAIN (COSTS OFF); the point lookup with id = 4242)"
plans_differ=0
for c in $BENCH_CASES; do
	ref=""
	for r in "${RELS[@]}"; do
		q=$(query "$c" "${REL[$r]}" | sed 's/:id/4242/')
		plan=$(sql_value -c "EXPLAIN (COSTS OFF) $q")
		echo "-- $c, $r: $q"
		echo "$plan" | sed 's/^/   /'
		# the same plan, up to the alias the rewriter gives the view's table
		norm=$(echo "$plan" | sed -E 's/ on orders( orders(_[0-9]+)?)?$/ on orders/; s/orders(_[0-9]+)?\./orders./g')
		if [ -z "$ref" ]; then
			ref=$norm
		elif [ "$norm" != "$ref" ]; then
			plans_differ=1
			echo "   ^^^ differs from the plan on the base table"
		fi
	done
done
if [ "$plans_differ" = 0 ]; then
	echo "-- plans: the same for base table, hand-written view and version view"
else
	echo "-- plans: NOT the same for the three relations (see ^^^ above)"
fi

# ---------------------------------------------------------------------------
# Measurements.
# ---------------------------------------------------------------------------
# One round: one pgbench run of the three relations' scripts, mixed at random
# transaction by transaction (-f ... -f ... -f ..., equal weights), every
# transaction's latency logged (-l).  Prints, for base, hand and product,
# "tps" = 1e6 / mean latency (us) of the faster half of that relation's
# transactions.
run_round() { # case protocol seconds
	local prefix="$workdir/log/round" out
	rm -f "$prefix".*
	local cmd=("$PGBENCH" -n -c 1 -j 1 -M "$2" -T "$3" -D rows="$BENCH_ROWS"
		-l --log-prefix="$prefix" -h "$workdir" -p "$BENCH_PORT" -U postgres)
	for r in "${RELS[@]}"; do cmd+=(-f "$workdir/scripts/$1-$r.sql"); done
	cmd+=(postgres)
	if [ -n "$client_cpu" ]; then cmd=(taskset -c "$client_cpu" "${cmd[@]}"); fi
	out=$("${cmd[@]}" 2>&1) || { echo "$out" >&2; die "pgbench failed ($1, $2)"; }
	# log line: client_id transaction_no latency_us script_no epoch_s epoch_us
	cat "$prefix".* | sort -k4,4n -k3,3n | awk '
		function flush() {
			if (n > 0) {
				h = int((n + 1) / 2); s = 0
				for (j = 1; j <= h; j++) s += v[j]
				tps[cur] = 1e6 * h / s
			}
			n = 0
		}
		NR == 1 { cur = $4 }
		$4 != cur { flush(); cur = $4 }
		{ v[++n] = $3 }
		END {
			flush()
			if (!(0 in tps) || !(1 in tps) || !(2 in tps)) exit 1
			printf "%.3f %.3f %.3f\n", tps[0], tps[1], tps[2]
		}' || die "pgbench logged no transactions of some relation ($1, $2)"
	rm -f "$prefix".*
}

median() { # numbers as arguments
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print "nan";
		else if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2];
		else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a / b }'; }
below() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x < t) }'; }

mkdir -p "$workdir/log"
ncases=$(echo $BENCH_CASES | wc -w)
nprotos=$(echo $BENCH_PROTOCOLS | wc -w)
estimate=$((ncases * nprotos * (BENCH_WARMUP + BENCH_ROUNDS * BENCH_SECONDS)))
if [ -n "$server_cpu" ]; then
	pinned="server on cpu $server_cpu, pgbench on cpu $client_cpu"
else
	pinned="not pinned"
fi
echo
echo "== measuring: per case and protocol ${BENCH_WARMUP}s warm-up, then $BENCH_ROUNDS rounds of ${BENCH_SECONDS}s;"
echo "   1 client, $pinned; about $((estimate / 60))m$((estimate % 60))s;" \
	"load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

declare -a ROWS_OUT=()
misses=0
for c in $BENCH_CASES; do
	for p in $BENCH_PROTOCOLS; do
		if [ "$BENCH_WARMUP" -gt 0 ]; then
			run_round "$c" "$p" "$BENCH_WARMUP" >/dev/null
		fi
		tb=() th=() tp=() rh=() rb=()
		for ((i = 0; i < BENCH_ROUNDS; i++)); do
			res=$(run_round "$c" "$p" "$BENCH_SECONDS")
			read -r b h q <<<"$res"
			tb+=("$b") th+=("$h") tp+=("$q")
			rh+=("$(div "$q" "$h")") rb+=("$(div "$q" "$b")")
		done
		mb=$(median "${tb[@]}") mh=$(median "${th[@]}") mp=$(median "${tp[@]}")
		mrh=$(median "${rh[@]}") mrb=$(median "${rb[@]}")
		printf '   %-6s %-9s per round, product/hand:' "$c" "$p"
		printf ' %.3f' "${rh[@]}"
		printf '\n   %-6s %-9s            product/base:' "" ""
		printf ' %.3f' "${rb[@]}"
		echo
		note=""
		if below "$mrh" "$TARGET_HAND"; then
			note+=" product/hand < $TARGET_HAND"
		fi
		if [ "$p" = prepared ] && below "$mrb" "$TARGET_BASE_PREPARED"; then
			note+=" product/base < $TARGET_BASE_PREPARED"
		fi
		if [ -n "$note" ]; then misses=$((misses + 1)); fi
		ROWS_OUT+=("$(printf '%-6s %-9s %12.1f %12.1f %12.1f %13.3f %13.3f  %s' \
			"$c" "$p" "$mb" "$mh" "$mp" "$mrh" "$mrb" "${note:-ok}")")
	done
done
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

echo
echo "== results (median of $BENCH_ROUNDS rounds; ratios: median of the per-round ratios)"
echo "   point: primary-key lookup of a random id among $BENCH_ROWS rows"
echo "   scan:  SELECT sum(amount), count(*) over all $BENCH_ROWS rows"
echo "   tps: 1 / mean latency of the faster half of the relation's transactions, the three"
echo "        relations' transactions mixed at random in each pgbench run (1 client)"
echo "   targets: product/hand >= $TARGET_HAND; prepared: product/base >= $TARGET_BASE_PREPARED"
echo
printf '%-6s %-9s %12s %12s %12s %13s %13s  %s\n' \
	case protocol "tps base" "tps hand" "tps product" "product/hand" "product/base" target
printf '%s\n' "------ --------- ------------ ------------ ------------ ------------- -------------  ------"
printf '%s\n' "${ROWS_OUT[@]}"
echo
if [ "$misses" -gt 0 ]; then
	echo "$misses configuration(s) missed a target (a busy machine? more BENCH_SECONDS/BENCH_ROUNDS)"
	if [ "$BENCH_STRICT" = 1 ]; then exit 1; fi
else
	echo "all targets met"
fi
exit 0
