#!/usr/bin/env bash
# Install what building and testing the dataproduct extension needs, on
# Debian 12 (bookworm): the PostgreSQL 15 server and its PGXS development
# files, a C toolchain, and the Perl modules of PostgreSQL's TAP framework
# (PostgreSQL::Test::Cluster needs IPC::Run and Test::More).
#
# Usage: test/install-deps.sh
#
# Does nothing, quickly, when everything is already installed.  Otherwise
# runs apt-get update and apt-get install, as root or through sudo.
set -euo pipefail

PACKAGES=(
	postgresql-15            # server, contrib modules (postgres_fdw), initdb, pg_ctl
	postgresql-server-dev-15 # PGXS, pg_config, pg_regress, pg_isolation_regress,
	                         # PostgreSQL::Test::* Perl modules
	postgresql-client-15     # psql
	postgresql-common        # pg_virtualenv, pg_createcluster
	make
	gcc
	libc6-dev
	perl                     # Test::More and the other core modules TAP tests use
	libipc-run-perl          # IPC::Run, needed by PostgreSQL::Test::Utils
	util-linux               # runuser
	tar
	python3                  # runs test/odcs/validate.py (006_odcs.pl)
	python3-jsonschema       # validates exported contracts against the ODCS JSON Schema
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo)
else
	echo "install-deps: these packages are missing: ${missing[*]}" >&2
	echo "install-deps: installing them needs root; run this script as root or install sudo" >&2
	exit 1
fi

# apt's output goes to a log, shown only if apt fails.
echo "install-deps: installing ${missing[*]} (and what they depend on)"
log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")
apt() {
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -q -o Dpkg::Use-Pty=0 "$@" >>"$log" 2>&1 || {
		tail -n 60 "$log" >&2
		echo "install-deps: apt-get $* failed; its full output is in $log" >&2
		exit 1
	}
}
apt update
apt -y --no-install-recommends install "${missing[@]}"
grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' "$log" || true
rm -f "$log"
echo "install-deps: done"
