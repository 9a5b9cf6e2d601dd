#!/usr/bin/env bash
# Run the pg_regress and isolation suites once against a PostgreSQL server
# running under valgrind's memcheck, and report every memory error.
#
# Usage: test/valgrind.sh [MAKE_VARIABLE=value ...]
#   e.g. test/valgrind.sh REGRESS="setup compat teardown" ISOLATION=guard_sessions
#   (REGRESS is run by the regression suite only, ISOLATION by the
#   isolation suite only)
#   extra valgrind options go in VALGRIND_OPTS (valgrind reads it), e.g.
#   VALGRIND_OPTS=--num-callers=60 test/valgrind.sh
#
# Like test/run-tests.sh: installs what is missing (and Debian's valgrind
# package), builds a copy of the sources and installs it, then, as an
# unprivileged user, creates a cluster with initdb, starts
#   valgrind --trace-children=yes --suppressions=test/valgrind.supp \
#            --error-exitcode=1 --track-origins=yes ... postgres -D <data>
# listening on a Unix socket only, runs `make installcheck` (REGRESS and
# ISOLATION; the TAP tests start servers of their own and are left out),
# stops the server and summarizes valgrind's logs: every error, and the
# frames of dataproduct.so (file:line) in it.  Takes tens of minutes.
#
# The postmaster forks its children without exec, so every backend runs
# under valgrind too.  --error-exitcode is 1 because the postmaster treats
# any other exit code of a backend as a crash and restarts every session;
# whether errors were found is read from the logs, which are kept in the
# directory printed at the end.  PostgreSQL is Debian's build, without
# USE_VALGRIND: valgrind does not see memory freed into a memory context
# and reused there, only malloc'd blocks, so reads of pfree'd or reset
# memory can pass unseen (run test/run-tests.sh, with MALLOC_PERTURB_, for
# those).
#
# Exits 0 only if the suites passed and valgrind reported no error.
set -euo pipefail

prog=valgrind
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

started=$SECONDS

step "Dependencies"
bash "$libdir/install-deps.sh"
if ! command -v valgrind >/dev/null 2>&1; then
	echo "installing valgrind"
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y update >/dev/null
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -q -y --no-install-recommends install valgrind >/dev/null
fi
valgrind --version
id "$run_user" >/dev/null 2>&1 || die "user $run_user does not exist (it comes with postgresql-common)"

make_workdir
build="$workdir/src"
step "Copying $srcroot to $build"
copy_sources
step "Build and install"
build_and_install

# valgrind's logs outlive the work directory
logdir=$(mktemp -d "${TMPDIR:-/tmp}/dataproduct-valgrind-logs.XXXXXX")
chmod 755 "$logdir"
[ "$run_user" = "$(id -un)" ] || chown "$run_user": "$logdir"

# The script run as the test user: a cluster, its server under valgrind,
# the suites, a clean stop.
cat >"$workdir/valgrind-suites.sh" <<'EOF'
set -u
build=$1 logdir=$2; shift 2
bindir=$("$PG_CONFIG" --bindir)
data=$TMPDIR/data sock=$TMPDIR/sock
mkdir "$sock"
"$bindir/initdb" -D "$data" --auth=trust --no-sync -U "$USER" >"$logdir/initdb.log" 2>&1 || {
	cat "$logdir/initdb.log"; exit 1; }
valgrind --trace-children=yes --suppressions="$build/test/valgrind.supp" \
	--error-exitcode=1 --leak-check=no --num-callers=40 --read-var-info=no \
	--track-origins=yes \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
	--log-file="$logdir/valgrind.%p.log" \
	"$bindir/postgres" -D "$data" -k "$sock" -c listen_addresses= -p 5432 \
	-c fsync=off -c logging_collector=off -c log_line_prefix='%m [%p] ' \
	>"$logdir/server.log" 2>&1 &
server=$!
export PGHOST=$sock PGPORT=5432 PGUSER=$USER PGDATABASE=postgres
for _ in $(seq 300); do
	"$bindir/pg_isready" -q && break
	kill -0 "$server" 2>/dev/null || { echo "the server did not start"; tail -n 40 "$logdir/server.log"; exit 1; }
	sleep 1
done
"$bindir/pg_isready" || { echo "the server did not start within 300 s"; exit 1; }
status=0
for suite in regress isolation; do
	case $suite in
	regress)   vars=(TAP_TESTS= ISOLATION=) ;;
	isolation) vars=(TAP_TESTS= REGRESS=) ;;
	esac
	printf '\n=== Suite: %s\n' "$suite"
	if make -C "$build" -s --no-print-directory installcheck "$@" "${vars[@]}"; then
		echo "suite $suite: ok"
	else
		echo "suite $suite: FAILED"
		status=1
	fi
done
"$bindir/pg_ctl" -D "$data" -m fast -t 600 -w stop >/dev/null || status=1
wait "$server" || { echo "the postmaster exited with status $?"; status=1; }
exit $status
EOF

step "Tests under valgrind (as $run_user; logs in $logdir)"
set +e
in_throwaway_cluster bash "$workdir/valgrind-suites.sh" "$build" "$logdir" "$@" 2>&1 |
	tee "$logdir/tests.log"
status=${PIPESTATUS[0]}
set -e

if [ "$status" -ne 0 ]; then
	step "Why the suites failed"
	for f in "$build/regression.diffs" "$build/output_iso/regression.diffs"; do
		[ -s "$f" ] || continue
		cp "$f" "$logdir/$(basename "$(dirname "$f")")-regression.diffs"
		echo "--- $f (first 200 lines)"
		head -n 200 "$f"
	done
fi

# Every error valgrind reported, once per distinct stack, and where our
# code is in it.
step "Valgrind's findings"
errors=$(cat "$logdir"/valgrind.*.log | grep -c 'VALGRINDERROR-BEGIN' || true)
echo "$errors error(s) in $(ls "$logdir"/valgrind.*.log | wc -l) process logs"
if [ "$errors" -gt 0 ]; then
	awk '/VALGRINDERROR-BEGIN/ { on = 1; block = ""; next }
	     /VALGRINDERROR-END/ { on = 0; if (!(block in seen)) { seen[block] = 1; print block "----" } next }
	     on { sub(/^==[0-9]+== /, ""); if ($0 ~ /^ Address /) next;
	          gsub(/0x[0-9A-F]+/, "0x..."); block = block $0 "\n" }' \
		"$logdir"/valgrind.*.log >"$logdir/errors.txt"
	echo "$(grep -c '^----$' "$logdir/errors.txt") distinct; all in $logdir/errors.txt"
	head -n 300 "$logdir/errors.txt"
	echo "--- frames in dataproduct.so"
	grep -E '\((src/)?[a-z_]+\.c:[0-9]+\)|dataproduct\.so' "$logdir/errors.txt" | sort | uniq -c | sort -rn || true
	[ "$status" -ne 0 ] || status=1
fi

step "Result"
echo "took $((SECONDS - started))s; logs in $logdir"
exit "$status"
