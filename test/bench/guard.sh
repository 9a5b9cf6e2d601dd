#!/usr/bin/env bash
#
# test/bench/guard.sh -- what does the contract guard cost unrelated DDL?
#
# The guard is three event triggers (ddl_command_end, sql_drop and, for
# DROP EXTENSION / DROP SCHEMA / DROP OWNED only, ddl_command_start) that
# fire on every DDL statement of a database with the extension, whether or
# not the statement has anything to do with data products.  This script
# measures what they cost DDL that has nothing to do with them, and whether
# that cost grows with the number of published products.
#
# Databases of one throwaway cluster:
#
#   noext   no extension: the reference
#   p<N>    CREATE EXTENSION dataproduct and N products (N = 10, 1000,
#           10000 by default), each published in 3 major versions: 1.0.0
#           from table src1.t_<i> (id int NOT NULL, v text), 2.0.0 from view
#           src2.t_<i> (id::bigint, v) and 3.0.0 from view src3.t_<i>
#           (id, v AS label, v) -- a type change and a rename, each a real
#           new major -- so 3N live version schemas p<i>_v1..3 of one view
#           each, and 3N version views whose pg_depend entries point at the
#           sources
#
# and, to split the guard's cost (BENCH_SPLIT=1), copies of p1000 (and
# p10000_off, a copy of the largest p<N>):
#
#   p1000_off    the guard's event triggers disabled (ALTER EVENT TRIGGER
#                ... DISABLE): the same catalogs as p1000, no event trigger
#                at all -- what a bigger catalog alone costs
#   p1000_noop   the guard's event triggers disabled, and two PL/pgSQL
#                event triggers that do nothing on ddl_command_end and
#                sql_drop: PostgreSQL's event trigger machinery (collecting
#                the commands and dropped objects, firing a trigger)
#
# so that p1000 - p1000_noop is what dataproduct's own functions cost
# (their C code, its SPI queries of pg_event_trigger_ddl_commands() and
# pg_event_trigger_dropped_objects(), the pg_depend lookups).
#
# The DDL stream: BENCH_STATEMENTS statements (rounded up to a multiple of
# 3), the triples
#
#   CREATE TABLE bench_t_<k> (a int, b text);
#   ALTER TABLE bench_t_<k> ADD COLUMN c int;
#   DROP TABLE bench_t_<k>;
#
# each in its own transaction (autocommit), in one psql session per run
# (psql -X -q -v ON_ERROR_STOP=1 -f file), timed by wall clock around psql.
# In the p<N> databases every statement fires the guard: CREATE and ALTER
# its ddl_command_end trigger, DROP its sql_drop and ddl_command_end
# triggers.
#
# Method, to keep a shared 2-core machine's noise out of the numbers:
#   - a throwaway cluster (initdb in a mktemp dir, Unix socket only, own
#     port) with fsync = off, synchronous_commit = off, full_page_writes =
#     off, no autovacuum, its data directory on a tmpfs (/dev/shm) when
#     there is one: the runs are dominated by CPU work, not by WAL flushes
#     or by the file system creating and unlinking the tables' files (on
#     a disk, that I/O made runs of the same database differ by 15%), so
#     the guard's *relative* cost looks larger than on a durable server (a
#     stricter comparison);
#   - by default the server is pinned to the last CPU and psql to the
#     first (BENCH_PIN);
#   - a warm-up run per database, then BENCH_ROUNDS rounds; each round runs
#     the stream once in every database, interleaved, starting with a
#     different database each round, so that whatever else the machine does
#     slows all databases alike; after every run the system catalogs of
#     that database are vacuumed and a checkpoint unlinks the dropped
#     tables' files (untimed), so that nothing piles up from round to round;
#   - two times per run: the wall clock around psql, and the CPU time of
#     the server backend (on-CPU nanoseconds from /proc/self/schedstat,
#     read by the backend before the first and after the last statement);
#   - reported, for both: the median per database, the ratio of the
#     medians to noext's, the median of the per-round ratios (a ratio
#     within one round is less exposed to a slow minute of the machine)
#     and the per-round ratios themselves (the spread), and the guard's
#     cost per statement, (median(p<N>) - median(noext)) / statements,
#     which must not grow with N.
#
# Each new session also loads the set of live version schemas once, at its
# first DDL statement (one catalog query, O(number of live versions)); the
# stream's runs include it, and it is also measured on its own ("first DDL
# of a new session", 7 new sessions per database), and subtracted in the
# "without session load" lines of the summary.
#
# Targets: p1000/noext <= 1.05 (wall clock), and a per-statement cost that
# stays flat from 10 to 10,000 products (within the noise).
#
# Usage (as root, or as a user who can run initdb; root runs the server as
# the "postgres" OS user):
#
#   bash test/bench/guard.sh
#
# Environment (defaults give a run of about 7-8 minutes on a 2-core machine,
# setup included):
#   BENCH_STATEMENTS=10000     DDL statements per run (rounded up to a multiple of 3)
#   BENCH_ROUNDS=9             rounds (each: one run per database)
#   BENCH_WARMUP=600           statements of the warm-up run per database (0: none)
#   BENCH_PRODUCTS="10 1000 10000"  product counts, one p<N> database each
#   BENCH_PRODUCTS_MAX=10000   leave out product counts above this
#   BENCH_MAJORS=3             major versions per product (1 to 3)
#   BENCH_SETUP_LIMIT=480      seconds: when publishing another major in a p<N>
#                              database would pass this, its products get fewer
#                              majors (said in the output)
#   BENCH_BATCH=500            products per setup transaction
#   BENCH_SPLIT=1              also measure p1000_off, p1000_noop, p10000_off (0: don't)
#   BENCH_PIN=1                pin server and psql to different CPUs (0: don't)
#   BENCH_PORT=                port of the throwaway cluster (default: a free one)
#   BENCH_DIR=                 where its mktemp directory goes (default: /dev/shm
#                              if it is a tmpfs with 4 GB free, else $TMPDIR or /tmp)
#   BENCH_INSTALL=0            1: run "make install" even if the extension is there
#   BENCH_STRICT=0             1: exit 1 when a target is missed
#   BENCH_DURABLE=0            1: a durable server (fsync, synchronous_commit
#                              and full_page_writes on) on $TMPDIR or /tmp
#   PG_CONFIG=pg_config        which PostgreSQL to use
#
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

BENCH_STATEMENTS=${BENCH_STATEMENTS:-10000}
BENCH_ROUNDS=${BENCH_ROUNDS:-9}
BENCH_WARMUP=${BENCH_WARMUP:-600}
BENCH_PRODUCTS=${BENCH_PRODUCTS:-10 1000 10000}
BENCH_PRODUCTS_MAX=${BENCH_PRODUCTS_MAX:-10000}
BENCH_MAJORS=${BENCH_MAJORS:-3}
BENCH_SETUP_LIMIT=${BENCH_SETUP_LIMIT:-480}
BENCH_BATCH=${BENCH_BATCH:-500}
BENCH_SPLIT=${BENCH_SPLIT:-1}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_PORT=${BENCH_PORT:-}
BENCH_DIR=${BENCH_DIR:-}
BENCH_DURABLE=${BENCH_DURABLE:-0}
BENCH_INSTALL=${BENCH_INSTALL:-0}
BENCH_STRICT=${BENCH_STRICT:-0}
PG_CONFIG=${PG_CONFIG:-pg_config}

# targets (see the header)
TARGET_RATIO=1.05
TARGET_PRODUCTS=1000

die() { echo "guard.sh: $*" >&2; exit 1; }

for v in BENCH_STATEMENTS BENCH_ROUNDS BENCH_WARMUP BENCH_PRODUCTS_MAX BENCH_MAJORS \
	BENCH_SETUP_LIMIT BENCH_BATCH; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$BENCH_STATEMENTS" -ge 3 ] || die "BENCH_STATEMENTS must be at least 3"
[ "$BENCH_ROUNDS" -ge 1 ] || die "BENCH_ROUNDS must be at least 1"
[ "$BENCH_BATCH" -ge 1 ] || die "BENCH_BATCH must be at least 1"
if [ "$BENCH_MAJORS" -lt 1 ] || [ "$BENCH_MAJORS" -gt 3 ]; then die "BENCH_MAJORS must be 1, 2 or 3"; fi

# product counts, ascending, without duplicates, at most BENCH_PRODUCTS_MAX
sizes=()
# shellcheck disable=SC2086 # a list of numbers
for n in $(printf '%s\n' $BENCH_PRODUCTS | sort -n -u); do
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ]; then die "BENCH_PRODUCTS: '$n' is not a count of products"; fi
	[ "$n" -le "$BENCH_PRODUCTS_MAX" ] && sizes+=("$n")
done
[ ${#sizes[@]} -ge 1 ] || die "no product count left (BENCH_PRODUCTS='$BENCH_PRODUCTS', BENCH_PRODUCTS_MAX=$BENCH_PRODUCTS_MAX)"

# the database the split is made from: p1000, or the nearest size below it,
# or the smallest
split_base=${sizes[0]}
for n in "${sizes[@]}"; do [ "$n" -le "$TARGET_PRODUCTS" ] && split_base=$n; done

. "$here/lib.sh"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

script_start=$(now)

install_extension_if_missing

# Where the cluster lives: on a tmpfs by default (file creation and unlinking
# of CREATE/DROP TABLE on a disk add I/O noise far larger than the guard)
if [ -z "$BENCH_DIR" ]; then
	BENCH_DIR=${TMPDIR:-/tmp}
	if [ "$BENCH_DURABLE" != 1 ] && [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
		[ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -ge $((4 * 1024 * 1024)) ]; then
		BENCH_DIR=/dev/shm
	fi
fi

if [ "$BENCH_DURABLE" = 1 ]; then
	durability="fsync, synchronous_commit and full_page_writes on"
	durability_conf=""
else
	durability="fsync, synchronous_commit and full_page_writes off"
	durability_conf="fsync = off
synchronous_commit = off
full_page_writes = off"
fi

start_cluster "$BENCH_DIR" <<EOF
# test/bench/guard.sh: a quiet, repeatable DDL benchmark server; without
# BENCH_DURABLE, no durability, so that the runs measure CPU work and not
# WAL flushes
shared_buffers = 256MB
$durability_conf
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
checkpoint_timeout = 1h
autovacuum = off
jit = off
max_parallel_workers_per_gather = 0
max_locks_per_transaction = 1024
EOF

PSQLBASE=("$PSQL" -X -q -h "$workdir" -p "$BENCH_PORT" -U postgres)
sql() { # database, psql arguments...
	local db=$1
	shift
	"${PSQLBASE[@]}" -v ON_ERROR_STOP=1 -d "$db" "$@"
}
sql_value() { local db=$1; shift; sql "$db" -At "$@"; }

# ---------------------------------------------------------------------------
# Setup: the databases.
# ---------------------------------------------------------------------------
echo "== setup (server: $durability, no autovacuum)"
sql postgres -c "CREATE ROLE bench_team NOLOGIN" -c "CREATE DATABASE noext"

declare -A MAJORS=() SETUP_SECS=() NOTE=()
DBS=(noext)

# One transaction of the products lo..hi of a database: a psql command.
setup_sources() { # lo hi
	cat <<EOF
DO \$\$
BEGIN
    FOR i IN $1..$2 LOOP
        EXECUTE format('CREATE TABLE src1.%I (id int NOT NULL, v text)', 't_' || i);
        EXECUTE format('CREATE VIEW src2.%1\$I AS SELECT id::bigint AS id, v FROM src1.%1\$I', 't_' || i);
        EXECUTE format('CREATE VIEW src3.%1\$I AS SELECT id, v AS label, v FROM src1.%1\$I', 't_' || i);
        PERFORM dataproduct.create_product('p' || i, 'bench');
    END LOOP;
END
\$\$;
EOF
}
setup_publish() { # major lo hi
	echo "SELECT count(dataproduct.publish('p' || i, '$1.0.0'," \
		"ARRAY[format('src$1.%I', 't_' || i)::regclass])) FROM generate_series($2, $3) AS i;"
}
# Runs the batches of one phase; prints nothing, fails on error.
run_batches() { # db n kind [major]
	local db=$1 n=$2 kind=$3 major=${4:-} lo hi
	{
		for ((lo = 1; lo <= n; lo += BENCH_BATCH)); do
			hi=$((lo + BENCH_BATCH - 1))
			[ "$hi" -le "$n" ] || hi=$n
			if [ "$kind" = sources ]; then setup_sources "$lo" "$hi"; else setup_publish "$major" "$lo" "$hi"; fi
		done
	} >"$workdir/setup.sql"
	sql "$db" -f "$workdir/setup.sql" >/dev/null
}

for n in "${sizes[@]}"; do
	db=p$n
	t0=$(now)
	sql postgres -c "CREATE DATABASE $db"
	sql "$db" >/dev/null <<'EOF'
CREATE EXTENSION dataproduct;
CREATE SCHEMA src1;
CREATE SCHEMA src2;
CREATE SCHEMA src3;
GRANT USAGE ON SCHEMA src1, src2, src3 TO bench_team;
ALTER DEFAULT PRIVILEGES IN SCHEMA src1, src2, src3 GRANT SELECT ON TABLES TO bench_team;
SELECT dataproduct.create_domain('bench', 'bench_team');
EOF
	# all sources first, then the publications: the guard of a session
	# re-reads the set of live versions after every publication, so DDL
	# between publications would cost O(versions) each
	run_batches "$db" "$n" sources
	t_src=$(elapsed "$t0")
	majors=0
	t_major1=""
	for ((m = 1; m <= BENCH_MAJORS; m++)); do
		if [ -n "$t_major1" ]; then
			# would another major, as long as the first, pass the limit?
			if awk -v e="$(elapsed "$t0")" -v m1="$t_major1" -v l="$BENCH_SETUP_LIMIT" \
				'BEGIN { exit !(e + m1 > l) }'; then
				NOTE[$db]="only $majors major(s) per product: a major took ${t_major1}s, another would pass BENCH_SETUP_LIMIT=${BENCH_SETUP_LIMIT}s"
				break
			fi
		fi
		tm=$(now)
		run_batches "$db" "$n" publish "$m"
		[ -n "$t_major1" ] || t_major1=$(elapsed "$tm")
		majors=$m
	done
	sql "$db" -c "VACUUM (FREEZE, ANALYZE)" -c "CHECKPOINT"
	MAJORS[$db]=$majors
	SETUP_SECS[$db]=$(elapsed "$t0")
	live=$(sql_value "$db" -c "SELECT count(*) FROM dataproduct.catalog")
	[ "$live" = $((n * majors)) ] || die "$db: $live live versions, expected $((n * majors))"
	echo "   $db: $n products x $majors major(s) = $live live version schemas;" \
		"setup ${SETUP_SECS[$db]}s (sources ${t_src}s, a major's publications ${t_major1}s)"
	if [ -n "${NOTE[$db]:-}" ]; then echo "   $db: NOTE: ${NOTE[$db]}"; fi
	DBS+=("$db")
done

# The split: copies of p<split_base> (and of the largest p<N>) without the
# guard's event triggers.
GUARD_TRIGGERS=(dataproduct_guard_ddl_command_end dataproduct_guard_sql_drop dataproduct_guard_ddl_command_start)
OFF_SIZES=()
if [ "$BENCH_SPLIT" = 1 ]; then
	OFF_SIZES=("$split_base")
	largest=${sizes[${#sizes[@]} - 1]}
	[ "$largest" = "$split_base" ] || OFF_SIZES+=("$largest")
	split_dbs=()
	for n in "${OFF_SIZES[@]}"; do split_dbs+=("p${n}_off"); done
	split_dbs+=("p${split_base}_noop")
	for db in "${split_dbs[@]}"; do
		t0=$(now)
		base=${db%_*}
		sql postgres -c "CREATE DATABASE $db TEMPLATE $base"
		for t in "${GUARD_TRIGGERS[@]}"; do
			sql "$db" -c "ALTER EVENT TRIGGER $t DISABLE"
		done
		if [ "$db" = "${base}_noop" ]; then
			sql "$db" >/dev/null <<'EOF2'
CREATE FUNCTION public.bench_noop() RETURNS event_trigger
    LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER bench_noop_ddl_command_end ON ddl_command_end
    EXECUTE FUNCTION public.bench_noop();
CREATE EVENT TRIGGER bench_noop_sql_drop ON sql_drop
    EXECUTE FUNCTION public.bench_noop();
EOF2
			what="guard's event triggers disabled, no-op PL/pgSQL event triggers on ddl_command_end and sql_drop"
		else
			what="guard's event triggers disabled"
		fi
		MAJORS[$db]=${MAJORS[$base]}
		sql "$db" -c "VACUUM (FREEZE, ANALYZE)"
		echo "   $db: copy of $base, $what ($(elapsed "$t0")s); enabled event triggers:" \
			"$(sql_value "$db" -c "SELECT coalesce(string_agg(evtname || ' (' || evtevent || ')', ', ' ORDER BY evtname), 'none') FROM pg_event_trigger WHERE evtenabled <> 'D'")"
		DBS+=("$db")
	done
fi
sql postgres -c "CHECKPOINT"
echo "   setup took $(elapsed "$script_start")s in all"

# ---------------------------------------------------------------------------
# Sanity: the guard is active (and not where it was disabled).
# ---------------------------------------------------------------------------
# Runs a statement that may fail; prints "<sqlstate>|<message>" ("00000|"
# when it succeeded).
try_sql() { # db statement
	"${PSQLBASE[@]}" -d "$1" -At -v ON_ERROR_STOP=0 -v VERBOSITY=terse 2>/dev/null <<EOF
$2
\echo :LAST_ERROR_SQLSTATE|:LAST_ERROR_MESSAGE
EOF
}
echo
echo "== sanity: is the guard active?"
check_db=p$split_base
for n in "${sizes[@]}"; do [ "$n" = "$TARGET_PRODUCTS" ] && check_db=p$n; done
sanity_fail=0
expect() { # db statement expected-sqlstate
	local out state msg
	out=$(try_sql "$1" "BEGIN; $2; ROLLBACK;")
	out=$(echo "$out" | tail -n 1)
	state=${out%%|*}
	msg=${out#*|}
	if [ "$state" = "$3" ]; then
		echo "   ok   $1: $2 -> SQLSTATE $state${msg:+ ($msg)}"
	else
		echo "   FAIL $1: $2 -> SQLSTATE $state, expected $3${msg:+ ($msg)}"
		sanity_fail=1
	fi
}
expect "$check_db" "DROP VIEW p1_v1.t_1" 2BP01
expect "$check_db" "ALTER TABLE src1.t_1 ALTER COLUMN id DROP NOT NULL" 2BP01
expect "$check_db" "ALTER TABLE src1.t_1 ADD COLUMN extra int" 00000
if [ "$BENCH_SPLIT" = 1 ]; then
	expect "p${split_base}_off" "DROP VIEW p1_v1.t_1" 00000
fi
still=$(sql_value "$check_db" -c "SELECT count(*) FROM pg_views WHERE schemaname = 'p1_v1' AND viewname = 't_1'")
echo "   $check_db: view p1_v1.t_1 still there: $([ "$still" = 1 ] && echo yes || echo NO)"
[ "$still" = 1 ] || sanity_fail=1
[ "$sanity_fail" = 0 ] || die "the guard is not behaving as expected; not measuring"


# ---------------------------------------------------------------------------
# The DDL stream.
# ---------------------------------------------------------------------------
# Besides the wall clock around psql, each run reports its backend's CPU
# time (on-CPU nanoseconds from /proc/self/schedstat, read by the backend
# itself before the first and after the last statement): what the server
# did for the statements, without the waits of a busy machine.
have_cpu=0
if [ "$(sql_value noext -c "SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1) ~ '^[0-9]+\$'" 2>/dev/null)" = t ]; then
	have_cpu=1
fi
triples=$(((BENCH_STATEMENTS + 2) / 3))
STATEMENTS=$((triples * 3))
make_stream() { # file triples
	{
		if [ "$have_cpu" = 1 ]; then
			echo "SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1) AS ns \\gset cpu0_"
		fi
		awk -v n="$2" 'BEGIN {
			for (k = 1; k <= n; k++) {
				printf "CREATE TABLE bench_t_%d (a int, b text);\n", k
				printf "ALTER TABLE bench_t_%d ADD COLUMN c int;\n", k
				printf "DROP TABLE bench_t_%d;\n", k
			}
		}'
		if [ "$have_cpu" = 1 ]; then
			echo "SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::numeric - :cpu0_ns AS ns \\gset cpu1_"
			printf '%s\n' '\echo cpu_ns :cpu1_ns'
		fi
	} >"$1"
}
make_stream "$workdir/stream.sql" "$triples"
warm_triples=$(((BENCH_WARMUP + 2) / 3))
if [ "$warm_triples" -gt 0 ]; then make_stream "$workdir/warmup.sql" "$warm_triples"; fi
chmod a+r "$workdir"/*.sql

# the system catalogs, vacuumed after every run (untimed)
CATALOGS=$(sql_value noext -c "SELECT string_agg(oid::regclass::text, ', ' ORDER BY oid) FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r'")

# One run: the stream in a new session; prints "<wall s> <backend cpu s>".
run_stream() { # db file
	local cmd=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$workdir" -p "$BENCH_PORT" -U postgres -d "$1" -f "$2")
	if [ -n "$client_cpu" ]; then cmd=(taskset -c "$client_cpu" "${cmd[@]}"); fi
	local t0 t1 out cpu=nan
	t0=$(now)
	out=$("${cmd[@]}") || die "the DDL stream failed in $1"
	t1=$(now)
	if [ "$have_cpu" = 1 ]; then
		cpu=$(echo "$out" | awk '$1 == "cpu_ns" { printf "%.4f", $2 / 1e9 }')
	fi
	# untimed: dead catalog rows out, dropped relations' files unlinked
	sql "$1" -c "VACUUM $CATALOGS" -c "CHECKPOINT" 2>/dev/null
	awk -v a="$t0" -v b="$t1" -v c="$cpu" 'BEGIN { printf "%.4f %s\n", b - a, c }'
}

median() { # numbers as arguments
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print "nan";
		else if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2];
		else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a / b }'; }
above() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x > t) }'; }
us_per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (a - b) * 1e6 / n }'; }

if [ -n "$server_cpu" ]; then
	pinned="server on cpu $server_cpu, psql on cpu $client_cpu"
else
	pinned="not pinned"
fi
ndb=${#DBS[@]}
echo
echo "== measuring: $STATEMENTS statements per run ($triples x CREATE TABLE / ALTER TABLE ADD COLUMN / DROP TABLE,"
echo "   autocommit, one psql session per run); $((warm_triples * 3))-statement warm-up per database, then"
echo "   $BENCH_ROUNDS rounds over $ndb databases (${DBS[*]}), interleaved;"
echo "   $pinned; load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

if [ "$warm_triples" -gt 0 ]; then
	for db in "${DBS[@]}"; do run_stream "$db" "$workdir/warmup.sql" >/dev/null; done
fi

declare -A WALL=() CPU=()
measure_start=$(now)
for ((r = 0; r < BENCH_ROUNDS; r++)); do
	for ((j = 0; j < ndb; j++)); do
		db=${DBS[$(((r + j) % ndb))]}
		read -r w c <<<"$(run_stream "$db" "$workdir/stream.sql")"
		WALL[$db]="${WALL[$db]:-} $w"
		CPU[$db]="${CPU[$db]:-} $c"
	done
	printf '   round %d (wall s / backend cpu s):' $((r + 1))
	for db in "${DBS[@]}"; do
		printf ' %s %.2f/%.2f' "$db" "$(echo "${WALL[$db]}" | awk '{ print $NF }')" \
			"$(echo "${CPU[$db]}" | awk '{ print $NF }')"
	done
	echo
done
echo "   measuring took $(elapsed "$measure_start")s; load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

# ---------------------------------------------------------------------------
# First DDL of a session: loading the live version schemas.
# ---------------------------------------------------------------------------
# In a new session: the first CREATE TABLE (where the guard is on, it loads
# the set of live version schemas) and a second one, each timed on the server.
first_ddl() { # db; prints "first_ms|second_ms"
	sql "$1" -At <<'EOF'
SELECT clock_timestamp() AS t \gset a_
CREATE TABLE bench_first_1 (a int);
SELECT clock_timestamp() AS t \gset b_
CREATE TABLE bench_first_2 (a int);
SELECT clock_timestamp() AS t \gset c_
DROP TABLE bench_first_1, bench_first_2;
SELECT round(extract(epoch FROM :'b_t'::timestamptz - :'a_t'::timestamptz) * 1000, 3),
       round(extract(epoch FROM :'c_t'::timestamptz - :'b_t'::timestamptz) * 1000, 3);
EOF
}
FIRST_SESSIONS=7
declare -A FIRST=() SECOND=()
for ((i = 0; i < FIRST_SESSIONS; i++)); do
	for db in "${DBS[@]}"; do
		IFS='|' read -r a b <<<"$(first_ddl "$db")"
		FIRST[$db]="${FIRST[$db]:-} $a"
		SECOND[$db]="${SECOND[$db]:-} $b"
	done
done
for db in "${DBS[@]}"; do
	# shellcheck disable=SC2086 # lists of numbers
	FIRST[$db]=$(median ${FIRST[$db]})
	# shellcheck disable=SC2086
	SECOND[$db]=$(median ${SECOND[$db]})
done

# ---------------------------------------------------------------------------
# Results.
# ---------------------------------------------------------------------------
minimum() { printf '%s\n' "$@" | sort -g | head -n 1; }
# medians (MW, MC) and minima (NW, NC) of wall clock and backend CPU times
declare -A MW=() MC=() NW=() NC=()
for db in "${DBS[@]}"; do
	# shellcheck disable=SC2086 # lists of numbers
	MW[$db]=$(median ${WALL[$db]})
	# shellcheck disable=SC2086
	MC[$db]=$(median ${CPU[$db]})
	# shellcheck disable=SC2086
	NW[$db]=$(minimum ${WALL[$db]})
	# shellcheck disable=SC2086
	NC[$db]=$(minimum ${CPU[$db]})
done

describe() { # db
	case $1 in
	noext) echo "no extension" ;;
	*_off) echo "${1%_off}, guard disabled" ;;
	*_noop) echo "${1%_noop}, no-op event triggers" ;;
	p*) local n=${1#p}; echo "$n x ${MAJORS[$1]} = $((n * ${MAJORS[$1]})) versions" ;;
	esac
}
ratios() { # "times of db" "times of noext": the per-round ratios
	local -a a b
	local i out=""
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	for ((i = 0; i < ${#a[@]}; i++)); do out+=" $(printf '%.3f' "$(div "${a[$i]}" "${b[$i]}")")"; done
	echo "${out# }"
}
table() { # title, names of the times, medians and minima arrays
	local -n times=$2 med=$3 mins=$4
	local db cost costmin per
	echo "-- $1"
	printf '%-12s %-27s %8s %6s %6s %7s %7s %7s  %s\n' database contents "median s" ratio "r.med" "us/stmt" "min s" "us/stmt" "ratio per round"
	printf '%-12s %-27s %8s %6s %6s %7s %7s %7s  %s\n' "" "" "" "" "" "(med.)" "" "(min)" ""
	printf '%s\n' "------------ --------------------------- -------- ------ ------ ------- ------- -------  ---------------"
	for db in "${DBS[@]}"; do
		if [ "$db" = noext ]; then
			cost="-" costmin="-"
		else
			cost=$(us_per "${med[$db]}" "${med[noext]}" "$STATEMENTS")
			costmin=$(us_per "${mins[$db]}" "${mins[noext]}" "$STATEMENTS")
		fi
		per=$(ratios "${times[$db]}" "${times[noext]}")
		# shellcheck disable=SC2086 # a list of numbers
		printf '%-12s %-27s %8.3f %6.3f %6.3f %7s %7.3f %7s  %s\n' "$db" "$(describe "$db")" "${med[$db]}" \
			"$(div "${med[$db]}" "${med[noext]}")" "$(median $per)" "$cost" "${mins[$db]}" "$costmin" "$per"
	done
}

echo
echo "== results: $STATEMENTS DDL statements per run, median of $BENCH_ROUNDS rounds"
echo "   ratio: median(db) / median(noext); r.med: the median of the per-round ratios;"
echo "   ratio per round: time(db) / time(noext) in the same round"
echo "   us/stmt, the guard's cost per statement: (median(db) - median(noext)) / $STATEMENTS"
echo "   target: p$TARGET_PRODUCTS/noext <= $TARGET_RATIO; cost per statement flat across product counts"
echo
table "wall clock of the psql run" WALL MW NW
if [ "$have_cpu" = 1 ]; then
	echo
	table "CPU time of the server backend (/proc/self/schedstat)" CPU MC NC
fi

echo
echo "-- first DDL of a new session (median of $FIRST_SESSIONS sessions; CREATE TABLE, timed on the server)"
echo "   load: what the first statement costs more than the second, beyond noext's difference"
echo "   (where the guard is on: loading the set of live version schemas, once per session)"
printf '%-12s %11s %11s %9s %14s\n' database "1st DDL ms" "2nd DDL ms" "load ms" "load/stmt us"
printf '%s\n' "------------ ----------- ----------- --------- --------------"
declare -A LOAD=()
for db in "${DBS[@]}"; do
	LOAD[$db]=$(awk -v f="${FIRST[$db]}" -v s="${SECOND[$db]}" -v f0="${FIRST[noext]}" -v s0="${SECOND[noext]}" \
		'BEGIN { printf "%.3f", (f - s) - (f0 - s0) }')
	printf '%-12s %11.3f %11.3f %9.3f %14.1f\n' "$db" "${FIRST[$db]}" "${SECOND[$db]}" "${LOAD[$db]}" \
		"$(awk -v l="${LOAD[$db]}" -v n="$STATEMENTS" 'BEGIN { print l * 1000 / n }')"
done

echo
echo "== summary"
# shellcheck disable=SC2086 # lists of numbers
echo "noise: noext's runs took $(printf '%.2f' "$(minimum ${WALL[noext]})")s to" \
	"$(printf '%.2f' "$(printf '%s\n' ${WALL[noext]} | sort -g | tail -n 1)")s (wall clock)$(
	[ "$have_cpu" = 0 ] || printf ', %.2fs to %.2fs (backend CPU)' "$(minimum ${CPU[noext]})" \
		"$(printf '%s\n' ${CPU[noext]} | sort -g | tail -n 1)")"
misses=0
target_db=p$TARGET_PRODUCTS
if [ -n "${MW[$target_db]:-}" ]; then
	r=$(div "${MW[$target_db]}" "${MW[noext]}")
	if above "$r" "$TARGET_RATIO"; then
		echo "target MISSED: $target_db/noext = $(printf '%.3f' "$r") > $TARGET_RATIO (wall clock)"
		misses=$((misses + 1))
	else
		echo "target met: $target_db/noext = $(printf '%.3f' "$r") <= $TARGET_RATIO (wall clock)"
	fi
	# shellcheck disable=SC2046 # a list of numbers
	echo "            $target_db/noext = $(printf '%.3f' "$(median $(ratios "${WALL[$target_db]}" "${WALL[noext]}"))") (wall clock, median of the per-round ratios)"
	if [ "$have_cpu" = 1 ]; then
		echo "            $target_db/noext = $(printf '%.3f' "$(div "${MC[$target_db]}" "${MC[noext]}")") (backend CPU time)"
		# shellcheck disable=SC2046
		echo "            $target_db/noext = $(printf '%.3f' "$(median $(ratios "${CPU[$target_db]}" "${CPU[noext]}"))") (backend CPU time, median of the per-round ratios)"
	fi
else
	echo "no p$TARGET_PRODUCTS database (BENCH_PRODUCTS): no ratio target checked"
fi
# cost per statement, us: (median(a) - median(b)) / statements, less the
# session's load of a (when given) beyond b's
cost_line() { # label, medians array name, less the load (0/1), then pairs "a:b" ...
	local label=$1 arr=$2 less_load=$3 pair a b l
	local -n m=$arr
	shift 3
	printf '   %-30s' "$label"
	for pair in "$@"; do
		a=${pair%%:*} b=${pair#*:}
		l=0
		if [ "$less_load" = 1 ]; then
			l=$(awk -v x="${LOAD[$a]}" -v y="${LOAD[$b]}" 'BEGIN { print x - y }')
		fi
		printf '  %-8s %6s' "$a" "$(awk -v x="${m[$a]}" -v y="${m[$b]}" -v l="$l" -v n="$STATEMENTS" \
			'BEGIN { printf "%.1f", ((x - y) * 1e6 - l * 1e3) / n }')"
	done
	echo
}
pairs=()
for n in "${sizes[@]}"; do pairs+=("p$n:noext"); done
cost_lines() { # pairs "a:b" ...
	cost_line "wall clock, medians" MW 0 "$@"
	cost_line "wall clock, minima" NW 0 "$@"
	if [ "$have_cpu" = 1 ]; then
		cost_line "backend CPU, medians" MC 0 "$@"
		cost_line "  without the session's load" MC 1 "$@"
		cost_line "backend CPU, minima" NC 0 "$@"
		cost_line "  without the session's load" NC 1 "$@"
	fi
}
echo "guard cost per statement (us) by product count, against noext:"
cost_lines "${pairs[@]}"
if [ ${#OFF_SIZES[@]} -gt 0 ]; then
	pairs=()
	for n in "${OFF_SIZES[@]}"; do pairs+=("p$n:p${n}_off"); done
	echo "guard cost per statement (us) against the same database with the guard disabled (same catalogs):"
	cost_lines "${pairs[@]}"
fi
if [ "$BENCH_SPLIT" = 1 ]; then
	sb=p$split_base
	echo "split of $sb's cost per statement, us (differences of medians or minima: each within the noise of two):"
	printf '   %-30s %-24s %8s %8s %8s %8s\n' "" "" "wall" "wall" "CPU" "CPU"
	printf '   %-30s %-24s %8s %8s %8s %8s\n' "" "" "medians" "minima" "medians" "minima"
	split_line() { # label minuend subtrahend
		local c="-" cn="-"
		if [ "$have_cpu" = 1 ]; then
			c=$(us_per "${MC[$2]}" "${MC[$3]}" "$STATEMENTS")
			cn=$(us_per "${NC[$2]}" "${NC[$3]}" "$STATEMENTS")
		fi
		printf '   %-30s %-24s %8s %8s %8s %8s\n' "$1" "$2 - $3" "$(us_per "${MW[$2]}" "${MW[$3]}" "$STATEMENTS")" \
			"$(us_per "${NW[$2]}" "${NW[$3]}" "$STATEMENTS")" "$c" "$cn"
	}
	split_line "bigger catalogs alone" "${sb}_off" noext
	split_line "event trigger machinery" "${sb}_noop" "${sb}_off"
	split_line "dataproduct's guard functions" "$sb" "${sb}_noop"
	split_line "all of it" "$sb" noext
fi
for db in "${DBS[@]}"; do
	if [ -n "${NOTE[$db]:-}" ]; then echo "NOTE $db: ${NOTE[$db]}"; fi
done
echo "server: $durability, data directory on $(stat -f -c %T "$workdir" 2>/dev/null || echo '?')"
if [ "$BENCH_DURABLE" != 1 ]; then
	echo "the runs measure CPU work, so the guard's relative cost is larger here than"
	echo "on a durable server (BENCH_DURABLE=1)"
fi
echo "total run time: $(elapsed "$script_start")s"
if [ "$misses" -gt 0 ] && [ "$BENCH_STRICT" = 1 ]; then exit 1; fi
exit 0
