# Shared by test/demo.sh and test/run-tests.sh: install what is missing,
# build and install the extension from a copy of the sources, and run a
# command as an unprivileged user in a throw-away PostgreSQL cluster.
#
# Source it after setting "prog" (the name errors are reported under).

PGVERSION=15
PG_CONFIG=/usr/lib/postgresql/$PGVERSION/bin/pg_config

libdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcroot=$(cd "$libdir/.." && pwd)

step() { printf '\n=== %s\n' "$*"; }
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

# Root installs; the servers run as "postgres" (initdb refuses root), or as
# the calling user when that user has sudo for installing.
if [ "$(id -u)" -eq 0 ]; then
	as_root=()
	run_user=postgres
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo)
	run_user=$(id -un)
else
	die "installing the extension needs root: run as root, or install sudo"
fi

# A fresh work directory, removed on exit: sources in $workdir/src,
# temporary files of servers and tests in $workdir/tmp.
make_workdir() {
	workdir=$(mktemp -d "${TMPDIR:-/tmp}/dataproduct-$prog.XXXXXX")
	trap 'rm -rf "$workdir"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir "$workdir/src" "$workdir/tmp"
}

# Copy git-tracked and untracked, non-ignored files; without git, all files
# but build and test outputs.
copy_sources() {
	if command -v git >/dev/null 2>&1 &&
	   [ "$(git -C "$srcroot" rev-parse --show-toplevel 2>/dev/null)" = "$srcroot" ]; then
		(cd "$srcroot" &&
		 git ls-files -z --cached --others --exclude-standard |
		 while IFS= read -r -d '' f; do
			 if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
		 done |
		 tar --null --no-recursion -T - -cf -) | tar -C "$workdir/src" -xf -
	else
		tar -C "$srcroot" --exclude=./.git --exclude='*.o' --exclude='*.so' \
			--exclude='*.bc' --exclude=./results --exclude=./regression.diffs \
			--exclude=./regression.out --exclude=./tmp_check \
			--exclude=./output_iso --exclude=./log \
			-cf - . | tar -C "$workdir/src" -xf -
	fi
}

# Build in the copy, so the checkout gets no build outputs, and install.
build_and_install() {
	make -C "$workdir/src" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >"$workdir/build.log" 2>&1 || {
		cat "$workdir/build.log"; die "build failed"; }
	# compiler warnings, not the compiler command lines
	grep -E -A3 ': (warning|error):' "$workdir/build.log" || echo "built without compiler warnings"
	"${as_root[@]}" make -C "$workdir/src" PG_CONFIG="$PG_CONFIG" install >"$workdir/install.log" 2>&1 || {
		cat "$workdir/install.log"; die "make install failed"; }
	echo "installed into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"
	# the throw-away cluster's sockets go to /var/run/postgresql, created at
	# boot; make sure it exists in containers too
	if [ ! -d /var/run/postgresql ]; then
		"${as_root[@]}" install -d -o postgres -g postgres -m 2775 /var/run/postgresql
	fi
}

# Run a command as $run_user, with a clean environment, inside pg_virtualenv,
# which creates a cluster on a free port, sets PGHOST, PGPORT, PGUSER... and
# drops the cluster when the command ends.  Extra VAR=value environment
# settings come first.
in_throwaway_cluster() {
	local as_user=()
	if [ "$run_user" != "$(id -un)" ]; then
		chown -R "$run_user": "$workdir"
		as_user=(runuser -u "$run_user" --)
	fi
	"${as_user[@]}" env -i \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		HOME="$(getent passwd "$run_user" | cut -d: -f6)" \
		USER="$run_user" LOGNAME="$run_user" \
		LANG=C.UTF-8 TMPDIR="$workdir/tmp" TERM="${TERM:-dumb}" ${CI:+CI="$CI"} \
		PG_CONFIG="$PG_CONFIG" \
		"$@"
}
