#!/usr/bin/env bash
# Build, install and test the dataproduct extension: the whole suite.
#
# Usage: test/run-tests.sh [MAKE_VARIABLE=value ...]
#   e.g. test/run-tests.sh PROVE_FLAGS=--verbose
#        test/run-tests.sh REGRESS="setup compat teardown" ISOLATION= PROVE_TESTS=test/t/004_crash_recovery.pl
#   Each suite runs its own list only: REGRESS in the regression suite,
#   ISOLATION in the isolation suite, PROVE_TESTS in the TAP suite.
#
# Works from any directory, as root (CI) or as a user who can sudo.
#  1. installs missing packages (test/install-deps.sh);
#  2. copies the source tree (tracked and untracked, non-ignored files) into
#     a fresh temporary directory, builds it there and installs it (as root);
#  3. runs `make installcheck` as an unprivileged user (`postgres` when run
#     as root, since initdb refuses root) inside pg_virtualenv, which starts a
#     throw-away PostgreSQL 15 cluster: the pg_regress tests (REGRESS), the
#     isolation tests (ISOLATION) and the TAP tests (test/t/*.pl, which start
#     clusters of their own) each run, even if an earlier suite failed;
#     every server runs with MALLOC_PERTURB_ (165, or the caller's value);
#  4. on failure prints regression.diffs and the TAP logs, and exits non-zero.
# Exits 0 only if every suite passed and at least one test ran.
set -euo pipefail

prog=run-tests
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

started=$SECONDS

step "Dependencies"
bash "$libdir/install-deps.sh"
id "$run_user" >/dev/null 2>&1 || die "user $run_user does not exist (it comes with postgresql-common)"

make_workdir
build="$workdir/src"
step "Copying $srcroot to $build"
copy_sources
step "Build and install"
build_and_install

# Which suites exist.  PGXS runs prove on "t/*.pl" when PROVE_TESTS is empty,
# which fails, so the TAP suite is skipped while test/t has no test.
suites=(regress)
if grep -Eq '^[[:space:]]*ISOLATION[[:space:]]*[:+?]?=' "$build/Makefile"; then
	suites+=(isolation)
fi
if compgen -G "$build/test/t/*.pl" >/dev/null; then
	suites+=(tap)
else
	echo "no TAP tests (test/t/*.pl): skipping prove"
fi

# Every server the tests start fills memory it allocates and frees with a
# byte pattern (glibc's MALLOC_PERTURB_), so that reading freed or
# uninitialized memory gives garbage or a crash instead of passing by luck.
# The suites inherit it, so the TAP tests' clusters (PostgreSQL::Test::Cluster,
# through pg_ctl) get it; pg_ctlcluster empties the environment of
# pg_virtualenv's server but for the cluster's "environment" file.
perturb=${MALLOC_PERTURB_:-165}
printf "MALLOC_PERTURB_ = '%s'\n" "$perturb" >"$workdir/environment"

# The script each suite runs in, inside pg_virtualenv, as the test user.
cat >"$workdir/suites.sh" <<'EOF'
cd "$1"; shift
# The postmaster's own environment (a backend's /proc/<pid>/environ is
# overwritten by its process title; backends are forked without exec and
# keep the postmaster's malloc settings).
pm=$(head -n 1 "$(psql -XAtc 'SHOW data_directory')/postmaster.pid")
if tr '\0' '\n' <"/proc/$pm/environ" | grep -qx "MALLOC_PERTURB_=$MALLOC_PERTURB_"; then
	echo "server runs with MALLOC_PERTURB_=$MALLOC_PERTURB_"
else
	echo "server does not run with MALLOC_PERTURB_=$MALLOC_PERTURB_"
	exit 1
fi
status=0
for suite in $SUITES; do
	case $suite in
	regress)   vars=(TAP_TESTS= ISOLATION=) ;;
	isolation) vars=(TAP_TESTS= REGRESS=) ;;
	tap)       vars=(REGRESS= ISOLATION=) ;;
	esac
	printf '\n=== Suite: %s\n' "$suite"
	if make -s --no-print-directory installcheck "$@" "${vars[@]}"; then
		echo "suite $suite: ok"
	else
		echo "suite $suite: FAILED"
		status=1
	fi
done
exit $status
EOF

step "Tests: ${suites[*]} (as $run_user, in a throw-away PostgreSQL $PGVERSION cluster)"
set +e
# A random port: pg_virtualenv would take 5432, or the first port no
# cluster of its own uses, so two runs at once could meet on one server.
in_throwaway_cluster SUITES="${suites[*]}" MALLOC_PERTURB_="$perturb" \
	PGPORT=$((20000 + RANDOM % 20000)) \
	pg_virtualenv -c "--environment=$workdir/environment" -v "$PGVERSION" \
	bash "$workdir/suites.sh" "$build" "$@" 2>&1 |
	tee "$workdir/tests.log"
status=${PIPESTATUS[0]}
set -e

# Count results: pg_regress and pg_isolation_regress print one line per test,
# prove a summary of test files.
passed=$(grep -Ec '^(test |     )[^ ]+ +\.\.\. ok' "$workdir/tests.log" || true)
failed=$(grep -Ec '^(test |     )[^ ]+ +\.\.\. (FAILED|failed)' "$workdir/tests.log" || true)
tap_files=$(sed -n 's/^Files=\([0-9]*\), Tests=.*/\1/p' "$workdir/tests.log" | tail -1)
tap_failed=$(grep -Ec '^[^ #].*\.pl \(Wstat: ' "$workdir/tests.log" || true)
passed=$((passed + ${tap_files:-0} - ${tap_failed:-0}))
failed=$((failed + ${tap_failed:-0}))

if [ "$status" -ne 0 ]; then
	step "Why it failed"
	for f in "$build/regression.diffs" "$build/output_iso/regression.diffs"; do
		[ -s "$f" ] || continue
		echo "--- $f (first 400 lines)"
		head -n 400 "$f"
	done
	for f in "$build"/tmp_check/log/*; do
		[ -s "$f" ] || continue
		echo "--- $f (last 80 lines)"
		tail -n 80 "$f"
	done
fi

step "Result"
elapsed=$((SECONDS - started))
echo "suites: ${suites[*]}; took ${elapsed}s"
if [ "$status" -eq 0 ] && [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran"
	status=1
fi
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1  # e.g. a suite that could not start
echo "${passed} passed, ${failed} failed"
exit "$status"
