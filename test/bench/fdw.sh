#!/usr/bin/env bash
#
# test/bench/fdw.sh -- what does reading a data product through its
# consumer's foreign tables cost?
#
# A producer database publishes data product "orders" 1.0.0 and gives a
# login role access to major version 1 (dataproduct.grant_access); a
# consumer database, as a non-superuser, imports it over postgres_fdw
# (dataproduct.subscribe), so both databases have a relation
# orders_v1.orders: the version view in the producer, a foreign table of it
# in the consumer.  The same query text then runs, with pgbench,
#
#   consumer  in the consumer database, on the foreign table: postgres_fdw
#             sends it to the producer over loopback TCP (127.0.0.1,
#             scram-sha-256 password authentication, as a non-superuser
#             must use)
#   direct    in the producer database, on the version view, as the role
#             postgres_fdw logs in as (what the view costs against its base
#             table is test/bench/views.sh's question)
#
# for
#
#   point  a primary-key lookup of a random id: 1 row
#          (SELECT * FROM orders_v1.orders WHERE id = :id)
#   agg    a selective aggregate over the BENCH_CUSTOMER_ROWS (100) orders
#          of a random customer, found by an index on customer_id
#          (SELECT count(*), sum(amount) FROM orders_v1.orders
#            WHERE customer_id = :c)
#
# each with the simple and the prepared query protocol, over BENCH_ROWS
# (1,000,000) orders.
#
# Pushdown, a correctness check, done first: EXPLAIN (ANALYZE, VERBOSE) of
# each query on the consumer, with a literal and as a generic prepared
# statement (what pgbench -M prepared ends up running), must show the
# filter -- and for agg the aggregate -- in the Remote SQL, and the
# foreign scans must bring back (their actual rows, plus any rows a filter
# left on the consumer removed) exactly as many rows as the query returns
# when run on the producer (point: 1; agg: 1, the aggregate of the
# customer's rows, which stay on the producer); and the two sides must
# give the same answer.  If not, the script stops and exits 1: a timing of
# a query that ships the table is no measurement of a data product.  No
# timing has a target: the numbers say what a query through postgres_fdw
# over loopback costs (each is several round trips: postgres_fdw opens a
# remote transaction, declares a cursor, FETCHes, CLOSEs it and COMMITs).
#
# Method (see test/bench/views.sh, whose helpers and style this follows):
#   - one throwaway cluster (initdb in a mktemp dir, own port, Unix socket
#     plus 127.0.0.1 for postgres_fdw), tuned for repeatability: no
#     autovacuum, no JIT, no parallel query, data in shared_buffers
#     (pg_prewarm), VACUUM (FREEZE, ANALYZE); producer and consumer are two
#     databases of it, so both sides share the one server CPU, as they
#     share the machine of a real loopback;
#   - one client (-c 1 -j 1); by default the server is pinned to the last
#     CPU and pgbench to the first;
#   - the two sides are two databases, so they cannot share one pgbench run
#     as views.sh's relations do: a round is one pgbench run on each side,
#     back to back, in alternating order (consumer first in odd rounds,
#     direct first in even ones), each transaction's latency logged (-l);
#   - a side's latency in a run is the mean latency of the faster half of
#     its transactions (a load spike makes some transactions slow, never
#     fast; this also drops the first transaction of the consumer's run,
#     which opens postgres_fdw's connection);
#   - per case and protocol: a BENCH_WARMUP-second warm-up run of each
#     side, then BENCH_ROUNDS rounds of BENCH_SECONDS seconds per side;
#     reported latencies are medians over the rounds, the ratio
#     consumer/direct and the difference consumer - direct (what the
#     foreign table adds to a query) the medians of the per-round values
#     (the ratios are printed too, to show the spread).
#
# Usage (as root, or as a user who can run initdb; root runs the server as
# the "postgres" OS user):
#
#   bash test/bench/fdw.sh
#
# Environment (defaults give a run of about 3 minutes, 20 s of it setup):
#   BENCH_ROWS=1000000       rows in the producer's table shop.orders
#   BENCH_CUSTOMER_ROWS=100  orders per customer (the rows agg aggregates)
#   BENCH_SECONDS=1          seconds of one pgbench run (a round runs two)
#   BENCH_ROUNDS=17          rounds per case and protocol
#   BENCH_WARMUP=2           seconds of the warm-up run of each side
#   BENCH_CASES="point agg"           which cases to run
#   BENCH_PROTOCOLS="simple prepared" which protocols to run
#   BENCH_PIN=1          pin server and pgbench to different CPUs (0: don't)
#   BENCH_PORT=          port of the throwaway cluster (default: a free one)
#   BENCH_INSTALL=0      1: run "make install" even if the extension is there
#   PG_CONFIG=pg_config  which PostgreSQL to use
#
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_CUSTOMER_ROWS=${BENCH_CUSTOMER_ROWS:-100}
BENCH_SECONDS=${BENCH_SECONDS:-1}
BENCH_ROUNDS=${BENCH_ROUNDS:-17}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CASES=${BENCH_CASES:-point agg}
BENCH_PROTOCOLS=${BENCH_PROTOCOLS:-simple prepared}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_PORT=${BENCH_PORT:-}
BENCH_INSTALL=${BENCH_INSTALL:-0}
PG_CONFIG=${PG_CONFIG:-pg_config}

die() { echo "fdw.sh: $*" >&2; exit 1; }

for c in $BENCH_CASES; do
	case $c in point | agg) ;; *) die "unknown case '$c' (point, agg)" ;; esac
done
for p in $BENCH_PROTOCOLS; do
	case $p in simple | prepared | extended) ;; *) die "unknown protocol '$p' (simple, prepared, extended)" ;; esac
done
for v in BENCH_ROWS BENCH_CUSTOMER_ROWS BENCH_SECONDS BENCH_ROUNDS BENCH_WARMUP; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$BENCH_SECONDS" -ge 1 ] && [ "$BENCH_ROUNDS" -ge 1 ] && [ "$BENCH_CUSTOMER_ROWS" -ge 1 ] &&
	[ "$BENCH_ROWS" -ge "$BENCH_CUSTOMER_ROWS" ] ||
	die "BENCH_SECONDS, BENCH_ROUNDS and BENCH_CUSTOMER_ROWS must be at least 1, BENCH_ROWS at least BENCH_CUSTOMER_ROWS"
CUSTOMERS=$((BENCH_ROWS / BENCH_CUSTOMER_ROWS))

. "$here/lib.sh"

[ -f "$sharedir/extension/postgres_fdw.control" ] ||
	die "postgres_fdw is not installed (the contrib modules of $("$PG_CONFIG" --version))"

install_extension_if_missing

# listen_addresses overrides lib.sh's '' (Unix socket only): postgres_fdw
# connects over loopback TCP
start_cluster "${TMPDIR:-/tmp}" <<EOF
# test/bench/fdw.sh: a quiet, repeatable, read-only benchmark server
listen_addresses = '127.0.0.1'
password_encryption = 'scram-sha-256'
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
jit = off
max_parallel_workers_per_gather = 0
EOF

# Unix socket: trust, for the benchmark's own sessions; TCP: a password,
# which postgres_fdw requires of a non-superuser's connections.
as_pg tee "$datadir/pg_hba.conf" >/dev/null <<EOF
# test/bench/fdw.sh
local all all                trust
host  all all 127.0.0.1/32   scram-sha-256
EOF
as_pg "$PG_CTL" -D "$datadir" reload >/dev/null

PRODUCER_DB=producer
CONSUMER_DB=consumer
READER=orders_reader # the producer's login role, granted access to orders_v1
ANALYST=analyst      # the consumer's role: subscribes and queries
PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

# sql DATABASE ROLE [psql arguments]: psql on the Unix socket
sql() {
	local db=$1 role=$2
	shift 2
	"$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$workdir" -p "$BENCH_PORT" -U "$role" -d "$db" "$@"
}
sql_value() { sql "$@" -At; }

# ---------------------------------------------------------------------------
# Producer: data, data product, access for the reader role.
# ---------------------------------------------------------------------------
echo "== producer: database $PRODUCER_DB, shop.orders with $BENCH_ROWS rows ($CUSTOMERS customers of $BENCH_CUSTOMER_ROWS orders)"
sql postgres postgres -c "CREATE DATABASE $PRODUCER_DB" -c "CREATE DATABASE $CONSUMER_DB"
sql postgres postgres -v pw="$PASSWORD" >/dev/null <<EOF
CREATE ROLE commerce_team NOLOGIN;
CREATE ROLE $READER LOGIN PASSWORD :'pw';
CREATE ROLE $ANALYST LOGIN;
EOF
sql "$PRODUCER_DB" postgres -v rows="$BENCH_ROWS" -v customers="$CUSTOMERS" -v reader="$READER" \
	>/dev/null <<'EOF'
CREATE SCHEMA shop;
CREATE TABLE shop.orders (
    id          int PRIMARY KEY,
    customer_id int NOT NULL,
    amount      numeric(10,2),
    created_at  timestamptz
);
SELECT setseed(0.42);
-- a customer's orders are spread over the table, as orders arrive
INSERT INTO shop.orders
SELECT i,
       1 + i % :customers,
       round((random() * 1000)::numeric, 2),
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
  FROM generate_series(1, :rows) AS i;
CREATE INDEX orders_customer_id_idx ON shop.orders (customer_id);
GRANT USAGE ON SCHEMA shop TO commerce_team;
GRANT SELECT ON shop.orders TO commerce_team;

CREATE EXTENSION dataproduct;
SELECT dataproduct.create_domain('commerce', 'commerce_team');
SELECT dataproduct.create_product('orders', 'commerce');
SELECT dataproduct.publish('orders', '1.0.0', ARRAY['shop.orders']::regclass[]);
SELECT dataproduct.grant_access('orders', 1, :'reader');

VACUUM (FREEZE, ANALYZE) shop.orders;
CREATE EXTENSION pg_prewarm;
SELECT pg_prewarm('shop.orders'), pg_prewarm('shop.orders_pkey'),
       pg_prewarm('shop.orders_customer_id_idx');
CHECKPOINT;
EOF
echo "-- published: $(sql_value "$PRODUCER_DB" postgres -c "SELECT format('%s %s in schema %s, access for %s', product, version, schema, (SELECT string_agg(grantee::text, ', ') FROM dataproduct.access a WHERE a.product = c.product)) FROM dataproduct.catalog c")"

# The configuration reload above is asynchronous: wait until loopback TCP
# asks for the password, then check the password works.
# shellcheck disable=SC2069 # psql's error message, not its output
tcp_login() { # password
	env -u PGPASSWORD PGPASSFILE=/dev/null ${1:+PGPASSWORD="$1"} "$PSQL" -X -w \
		-h 127.0.0.1 -p "$BENCH_PORT" -U "$READER" -d "$PRODUCER_DB" -c 'SELECT 1' 2>&1 >/dev/null
}
for ((i = 0; ; i++)); do
	out=$(tcp_login "") && out="logged in"
	case $out in *"no password supplied"*) break ;; esac
	[ "$i" -lt 100 ] || die "loopback TCP does not ask $READER for a password: $out"
	sleep 0.1
done
out=$(tcp_login "$PASSWORD") || die "$READER cannot log in over loopback TCP with its password: $out"

# ---------------------------------------------------------------------------
# Consumer: postgres_fdw server, user mapping, subscription -- as a
# non-superuser, as in production.
# ---------------------------------------------------------------------------
echo "== consumer: database $CONSUMER_DB, role $ANALYST (not a superuser) subscribes over postgres_fdw"
sql "$CONSUMER_DB" postgres -v port="$BENCH_PORT" -v db="$PRODUCER_DB" >/dev/null <<EOF
CREATE EXTENSION dataproduct;
CREATE EXTENSION postgres_fdw;
CREATE SERVER producer FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port :'port', dbname :'db');
GRANT USAGE ON FOREIGN SERVER producer TO $ANALYST;
GRANT CREATE ON DATABASE $CONSUMER_DB TO $ANALYST;
EOF
sql "$CONSUMER_DB" "$ANALYST" -v reader="$READER" -v pw="$PASSWORD" >/dev/null <<'EOF'
CREATE USER MAPPING FOR CURRENT_USER SERVER producer
    OPTIONS (user :'reader', password :'pw');
SELECT dataproduct.subscribe('producer', 'orders', 1);
EOF
echo "-- subscribed: $(sql_value "$CONSUMER_DB" "$ANALYST" -c "SELECT format('%s %s from server %s into schema %s (outputs %s)', product, version, server, schema, outputs) FROM dataproduct.subscriptions")"
echo "-- registered on the producer: $(sql_value "$PRODUCER_DB" postgres -c "SELECT format('database %s, role %s, server %s, connected as %s from %s', consumer_database, consumer_role, consumer_server, connected_as, coalesce(host(client_addr), 'local')) FROM dataproduct.consumers")"
echo "-- orders_v1.orders in $CONSUMER_DB: $(sql_value "$CONSUMER_DB" "$ANALYST" -c "SELECT format('%s, owner %s, options %s', CASE relkind WHEN 'f' THEN 'foreign table' ELSE relkind::text END, relowner::regrole, (SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = c.oid)) FROM pg_class c WHERE oid = 'orders_v1.orders'::regclass")"

# ---------------------------------------------------------------------------
# The queries, and the pushdown check.
# ---------------------------------------------------------------------------
query() { # case: the same text on both sides
	case $1 in
	point) echo 'SELECT * FROM orders_v1.orders WHERE id = :id;' ;;
	agg) echo 'SELECT count(*), sum(amount) FROM orders_v1.orders WHERE customer_id = :c;' ;;
	esac
}
mkdir -p "$workdir/scripts"
for c in $BENCH_CASES; do
	f="$workdir/scripts/$c.sql"
	case $c in
	point) echo '\set id random(1, :rows)' >"$f" ;;
	agg) echo '\set c random(1, :customers)' >"$f" ;;
	esac
	query "$c" >>"$f"
done

check_id=$((BENCH_ROWS < 4242 ? BENCH_ROWS : 4242))
check_c=$((CUSTOMERS < 42 ? CUSTOMERS : 42))
literal() { query "$1" | sed "s/:id/$check_id/; s/:c/$check_c/; s/;\$//"; }
# the query of a prepared statement, and the value its $1 is given
generic() { query "$1" | sed 's/:id/$1/; s/:c/$1/; s/;$//'; }
check_param() { if [ "$1" = point ]; then echo "$check_id"; else echo "$check_c"; fi; }

# plan_check CASE VARIANT PLAN: prints the check's line, returns 1 if the
# plan does not push the query down
plan_check() {
	local c=$1 variant=$2 plan=$3 needed transferred remote what ok=1 label
	# rows the query returns, run on the producer as the role postgres_fdw uses
	needed=$(sql_value "$PRODUCER_DB" "$READER" -c "SELECT count(*) FROM ($(literal "$c")) q")
	# rows the foreign scans brought back: their actual rows, and the rows
	# a filter left on the consumer removed, times their loops
	transferred=$(echo "$plan" | awk '
		/(^|-> +)[A-Z]/ { loops = 0 }
		/(^|-> +)Foreign Scan/ && match($0, /rows=[0-9]+ loops=[0-9]+/) {
			split(substr($0, RSTART, RLENGTH), a, /[= ]/)
			n += a[2] * a[4]; loops = a[4]
		}
		/^ *Rows Removed by Filter: / { n += $NF * loops }
		END { print n + 0 }')
	remote=$(echo "$plan" | sed -n 's/^ *Remote SQL: //p')
	case $c in
	point)
		label="point lookup"
		what="filter pushed down"
		[[ $remote == *"WHERE ((id = "* ]] || { ok=0; what="filter NOT pushed down"; }
		;;
	agg)
		label="aggregate"
		what="aggregate and filter pushed down"
		# the top node must be the foreign scan of the aggregate
		if ! { echo "$plan" | head -n 1 | grep -q '^Foreign Scan' &&
			echo "$plan" | grep -q 'Relations: Aggregate on' &&
			[[ $remote == "SELECT count(*), sum(amount) FROM "*"WHERE ((customer_id = "* ]]; }; then
			ok=0
			what="aggregate NOT pushed down"
		fi
		needed+=" (the producer aggregated $(sql_value "$PRODUCER_DB" "$READER" \
			-c "SELECT count(*) FROM orders_v1.orders WHERE customer_id = $check_c") rows)"
		;;
	esac
	[ "$transferred" = "${needed%% *}" ] || ok=0
	printf '   %-13s %-13s rows transferred %s, rows needed %s; %s -- %s\n' \
		"$label," "$variant:" "$transferred" "$needed" "$what" \
		"$([ "$ok" = 1 ] && echo ok || echo FAILED)"
	[ "$ok" = 1 ]
}

echo
echo "== pushdown: EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) on the consumer, as $ANALYST;"
echo "   literal: id = $check_id, customer_id = $check_c; generic: the generic plan of a prepared statement"
declare -a CHECKS=()
pushdown_failed=0
for c in $BENCH_CASES; do
	for variant in literal generic; do
		if [ "$variant" = literal ]; then
			q=$(literal "$c")
			echo "-- $c, literal: $q"
			plan=$(sql_value "$CONSUMER_DB" "$ANALYST" -c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) $q")
		else
			q=$(generic "$c")
			echo "-- $c, generic plan: PREPARE q(int) AS $q; EXECUTE q($(check_param "$c"))"
			plan=$(sql_value "$CONSUMER_DB" "$ANALYST" \
				-c "PREPARE q(int) AS $q" -c "SET plan_cache_mode = force_generic_plan" \
				-c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) EXECUTE q($(check_param "$c"))")
		fi
		# the times include opening postgres_fdw's connection: left out
		plan=$(echo "$plan" | grep -Ev '^(Planning|Execution) Time:')
		echo "$plan" | sed 's/^/   /'
		if ! line=$(plan_check "$c" "$variant" "$plan"); then pushdown_failed=1; fi
		CHECKS+=("$line")
	done
	# and the foreign table answers what the producer does
	a=$(sql_value "$CONSUMER_DB" "$ANALYST" -c "$(literal "$c")")
	b=$(sql_value "$PRODUCER_DB" "$READER" -c "$(literal "$c")")
	if [ "$c" = point ]; then label="point lookup,"; else label="aggregate,"; fi
	if [ "$a" = "$b" ]; then
		CHECKS+=("$(printf '   %-13s %-13s the same on both sides (%s) -- ok' "$label" "answer:" "$a")")
	else
		CHECKS+=("$(printf '   %-13s %-13s consumer %s, producer %s -- FAILED' "$label" "answer:" "$a" "$b")")
		pushdown_failed=1
	fi
done
echo "-- checks:"
printf '%s\n' "${CHECKS[@]}"
[ "$pushdown_failed" = 0 ] || die "a check FAILED: the foreign tables do not push these queries down to the producer, or answer otherwise (see above)"

# ---------------------------------------------------------------------------
# Measurements.
# ---------------------------------------------------------------------------
declare -A DB=([consumer]=$CONSUMER_DB [direct]=$PRODUCER_DB)
declare -A ROLE=([consumer]=$ANALYST [direct]=$READER)

# One pgbench run of a side: prints its latency in microseconds, the mean
# latency of the faster half of its transactions.
run_once() { # case protocol side seconds
	local prefix="$workdir/log/run" out
	rm -f "$prefix".*
	local cmd=("$PGBENCH" -n -c 1 -j 1 -M "$2" -T "$4"
		-D rows="$BENCH_ROWS" -D customers="$CUSTOMERS"
		-l --log-prefix="$prefix" -h "$workdir" -p "$BENCH_PORT" -U "${ROLE[$3]}"
		-f "$workdir/scripts/$1.sql" "${DB[$3]}")
	if [ -n "$client_cpu" ]; then cmd=(taskset -c "$client_cpu" "${cmd[@]}"); fi
	out=$("${cmd[@]}" 2>&1) || { echo "$out" >&2; die "pgbench failed ($1, $2, $3)"; }
	# log line: client_id transaction_no latency_us script_no epoch_s epoch_us
	cat "$prefix".* | sort -k3,3n | awk '
		{ v[++n] = $3 }
		END {
			if (n == 0) exit 1
			h = int((n + 1) / 2); s = 0
			for (j = 1; j <= h; j++) s += v[j]
			printf "%.3f\n", s / h
		}' || die "pgbench logged no transactions ($1, $2, $3)"
	rm -f "$prefix".*
}

median() { # numbers as arguments
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print "nan";
		else if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2];
		else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }

mkdir -p "$workdir/log"
ncases=$(echo $BENCH_CASES | wc -w)
nprotos=$(echo $BENCH_PROTOCOLS | wc -w)
estimate=$((ncases * nprotos * 2 * (BENCH_WARMUP + BENCH_ROUNDS * BENCH_SECONDS)))
if [ -n "$server_cpu" ]; then
	pinned="server on cpu $server_cpu, pgbench on cpu $client_cpu"
else
	pinned="not pinned"
fi
echo
echo "== measuring: per case and protocol a ${BENCH_WARMUP}s warm-up run of each side, then $BENCH_ROUNDS rounds"
echo "   of one ${BENCH_SECONDS}s run per side; 1 client, $pinned; about $((estimate / 60))m$((estimate % 60))s;"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

declare -a ROWS_OUT=()
for c in $BENCH_CASES; do
	for p in $BENCH_PROTOCOLS; do
		if [ "$BENCH_WARMUP" -gt 0 ]; then
			run_once "$c" "$p" direct "$BENCH_WARMUP" >/dev/null
			run_once "$c" "$p" consumer "$BENCH_WARMUP" >/dev/null
		fi
		lc=() ld=() ratio=() extra=()
		for ((i = 0; i < BENCH_ROUNDS; i++)); do
			if ((i % 2 == 0)); then
				x=$(run_once "$c" "$p" consumer "$BENCH_SECONDS")
				y=$(run_once "$c" "$p" direct "$BENCH_SECONDS")
			else
				y=$(run_once "$c" "$p" direct "$BENCH_SECONDS")
				x=$(run_once "$c" "$p" consumer "$BENCH_SECONDS")
			fi
			lc+=("$x") ld+=("$y")
			ratio+=("$(div "$x" "$y")") extra+=("$(minus "$x" "$y")")
		done
		mc=$(median "${lc[@]}") md=$(median "${ld[@]}")
		mr=$(median "${ratio[@]}") mx=$(median "${extra[@]}")
		printf '   %-6s %-9s per round, consumer/direct:' "$c" "$p"
		printf ' %.2f' "${ratio[@]}"
		echo
		ROWS_OUT+=("$(printf '%-6s %-9s %10s %12s %19s %16.2f' \
			"$c" "$p" "$(ms "$md")" "$(ms "$mc")" "$(ms "$mx")" "$mr")")
	done
done
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

echo
echo "== results (median of $BENCH_ROUNDS rounds; consumer - direct and consumer/direct: medians of the per-round values)"
for c in $BENCH_CASES; do
	case $c in
	point) echo "   point: SELECT * FROM orders_v1.orders WHERE id = <random of $BENCH_ROWS>" ;;
	agg)
		echo "   agg:   SELECT count(*), sum(amount) FROM orders_v1.orders WHERE customer_id = <random of $CUSTOMERS>"
		echo "          ($BENCH_CUSTOMER_ROWS rows aggregated on the producer)"
		;;
	esac
done
echo "   direct:   the query on the version view, in the producer's database, as $READER"
echo "   consumer: the query on the foreign table, in the consumer's database, as $ANALYST;"
echo "             postgres_fdw over TCP 127.0.0.1 (rows transferred per query: 1, checked above)"
echo "   latency: mean of the faster half of a run's transactions (1 client)"
echo
printf '%-6s %-9s %10s %12s %19s %16s\n' \
	case protocol "direct ms" "consumer ms" "consumer-direct ms" "consumer/direct"
printf '%s\n' "------ --------- ---------- ------------ ------------------- ----------------"
printf '%s\n' "${ROWS_OUT[@]}"
exit 0
