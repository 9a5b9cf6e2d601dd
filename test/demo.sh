#!/usr/bin/env bash
# The dataproduct demo: build and install the extension, start a throw-away
# PostgreSQL 15 server, and run test/demo.sql in it, echoing every query.
#
# Usage: test/demo.sh          (from any directory; as root, or a user who can sudo)
#
# Installs missing packages first (test/install-deps.sh).  The server runs as
# the unprivileged `postgres` user (or as you, when not root) and is stopped
# and removed at the end, as is everything else the demo created, also when
# it fails.  Exits non-zero if anything unexpected goes wrong.
set -euo pipefail

prog=demo
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "Dependencies"
bash "$libdir/install-deps.sh"

make_workdir
step "Build and install"
copy_sources
build_and_install
cp "$libdir/demo.sql" "$workdir/demo.sql"

step "Starting a throw-away PostgreSQL $PGVERSION server, running test/demo.sql"
cd "$workdir"
in_throwaway_cluster \
	pg_virtualenv -v "$PGVERSION" \
	psql -X -e -v ON_ERROR_STOP=1 --pset=pager=off -f "$workdir/demo.sql" ||
	die "the demo failed (exit status $?): see the error above; the server was removed"
step "Demo finished: server stopped and removed"
