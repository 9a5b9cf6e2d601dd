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

PGVERSION=15
PG_CONFIG=/usr/lib/postgresql/$PGVERSION/bin/pg_config

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcroot=$(cd "$here/.." && pwd)

step() { printf '\n=== %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
	as_root=()
	demo_user=postgres
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo)
	demo_user=$(id -un)
else
	die "installing the extension needs root: run as root, or install sudo"
fi

step "Dependencies"
bash "$here/install-deps.sh"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/dataproduct-demo.XXXXXX")
cleanup() { rm -rf "$workdir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Build from a copy of the sources, so the checkout gets no build outputs.
step "Build and install"
mkdir "$workdir/src"
tar -C "$srcroot" --exclude=./.git --exclude='*.o' --exclude='*.so' \
	--exclude='*.bc' --exclude=./results --exclude=./tmp_check \
	--exclude=./tmp_check_iso --exclude=./output_iso \
	-cf - . | tar -C "$workdir/src" -xf -
make -C "$workdir/src" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >"$workdir/build.log" 2>&1 &&
"${as_root[@]}" make -C "$workdir/src" PG_CONFIG="$PG_CONFIG" install >>"$workdir/build.log" 2>&1 || {
	cat "$workdir/build.log"; die "build or install failed"; }
echo "extension dataproduct installed for PostgreSQL $PGVERSION"

# The server's sockets go to /var/run/postgresql, created at boot.
if [ ! -d /var/run/postgresql ]; then
	"${as_root[@]}" install -d -o postgres -g postgres -m 2775 /var/run/postgresql
fi

cp "$here/demo.sql" "$workdir/demo.sql"
# Temporary files of the servers and tests (socket directories, which
# PostgreSQL::Test::Utils keeps after a failure) go into $workdir too.
mkdir "$workdir/tmp"
if [ "$demo_user" != "$(id -un)" ]; then
	chown -R "$demo_user": "$workdir"
	as_demo_user=(runuser -u "$demo_user" --)
else
	as_demo_user=()
fi

# pg_virtualenv creates a cluster in a temporary directory, on a free port,
# runs the command with PGHOST, PGPORT, PGUSER... set, then drops the cluster.
step "Starting a throw-away PostgreSQL $PGVERSION server, running test/demo.sql"
cd "$workdir"
"${as_demo_user[@]}" env -i \
	PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
	HOME="$(getent passwd "$demo_user" | cut -d: -f6)" \
	USER="$demo_user" LOGNAME="$demo_user" \
	LANG=C.UTF-8 TMPDIR="$workdir/tmp" \
	pg_virtualenv -v "$PGVERSION" \
	psql -X -e -v ON_ERROR_STOP=1 --pset=pager=off -f "$workdir/demo.sql" ||
	die "the demo failed (exit status $?): see the error above; the server was removed"
step "Demo finished: server stopped and removed"
