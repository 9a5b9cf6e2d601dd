# Shared by the benchmark scripts: the PostgreSQL tools, the extension
# installed if it is missing, and a throwaway cluster run as the
# unprivileged postgres user (initdb refuses root), stopped and removed on
# exit.
#
# Source it with PG_CONFIG, repo, BENCH_INSTALL, BENCH_PIN and BENCH_PORT
# set and die() defined.

command -v "$PG_CONFIG" >/dev/null || die "$PG_CONFIG not found"
pgbin=$("$PG_CONFIG" --bindir)
sharedir=$("$PG_CONFIG" --sharedir)
for prog in initdb pg_ctl psql pgbench; do
	[ -x "$pgbin/$prog" ] || command -v "$prog" >/dev/null ||
		die "$prog not found (in $pgbin or PATH)"
done
bin() { if [ -x "$pgbin/$1" ]; then echo "$pgbin/$1"; else command -v "$1"; fi; }
INITDB=$(bin initdb)
PG_CTL=$(bin pg_ctl)
PSQL=$(bin psql)
PGBENCH=$(bin pgbench)

is_root=0
[ "$(id -u)" = 0 ] && is_root=1

# Run a server-side command as the cluster's OS user.
as_pg() {
	if [ "$is_root" = 1 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

install_extension_if_missing() {
	if [ "$BENCH_INSTALL" = 1 ] || [ ! -f "$sharedir/extension/dataproduct.control" ]; then
		[ "$is_root" = 1 ] || [ -w "$sharedir/extension" ] ||
			die "extension dataproduct is not installed; run as root or 'make install' first"
		if [ -f "$repo/test/install-deps.sh" ]; then
			echo "== installing build dependencies (test/install-deps.sh)"
			bash "$repo/test/install-deps.sh"
		fi
		echo "== installing the extension (make -C $repo install)"
		make -s -C "$repo" PG_CONFIG="$PG_CONFIG" install >/dev/null
	fi
}

port_in_use() {
	# TCP listeners and the lock files of Unix sockets in the usual places
	{ command -v ss >/dev/null && ss -Htanl 2>/dev/null | awk '{print $4}' | grep -q "[:.]$1\$"; } ||
		[ -e "/tmp/.s.PGSQL.$1.lock" ] || [ -e "/var/run/postgresql/.s.PGSQL.$1.lock" ]
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local rc=$?
	if [ "$started" = 1 ]; then
		as_pg "$PG_CTL" -D "$datadir" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ "$rc" != 0 ] && [ -f "$workdir/server.log" ]; then
		echo "--- server log (tail) ---" >&2
		tail -n 30 "$workdir/server.log" >&2 || true
	fi
	rm -rf "$workdir"
	exit "$rc"
}

# start_cluster DIR: a cluster in a new directory under DIR, its
# postgresql.conf extended with what comes on standard input; sets workdir,
# datadir, BENCH_PORT, and server_cpu/client_cpu when BENCH_PIN pins the
# server and the client to different CPUs.
start_cluster() {
	local ncpu server_cmd

	ncpu=$(nproc 2>/dev/null || echo 1)
	server_cpu="" client_cpu=""
	if [ "$BENCH_PIN" = 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
		server_cpu=$((ncpu - 1))
		client_cpu=0
	fi
	if [ -z "$BENCH_PORT" ]; then
		BENCH_PORT=$((56000 + RANDOM % 2000))
		while port_in_use "$BENCH_PORT"; do BENCH_PORT=$((BENCH_PORT + 1)); done
	fi

	workdir=$(mktemp -d "$1/dp-bench.XXXXXX")
	datadir="$workdir/data"
	started=0
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if [ "$is_root" = 1 ]; then chown postgres: "$workdir"; fi

	echo "== throwaway cluster in $workdir ($(stat -f -c %T "$workdir" 2>/dev/null || echo ?)), port $BENCH_PORT"
	as_pg "$INITDB" -D "$datadir" -U postgres -A trust -E UTF8 --locale=C --no-sync \
		>"$workdir/initdb.log" 2>&1 || { cat "$workdir/initdb.log" >&2; die "initdb failed"; }
	{
		echo
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$workdir'"
		echo "port = $BENCH_PORT"
		cat
	} >>"$datadir/postgresql.conf"

	server_cmd=("$PG_CTL" -D "$datadir" -l "$workdir/server.log" -w -t 60 start)
	if [ -n "$server_cpu" ]; then
		# the postmaster's affinity is inherited by every backend
		server_cmd=(taskset -c "$server_cpu" "${server_cmd[@]}")
	fi
	as_pg "${server_cmd[@]}" >/dev/null
	started=1
}
