# Starts a throwaway PostgreSQL server for the store tests and exports
# STORYBOT_TEST_POSTGRES. Source it from bash:
#
#	. .ci/postgres.sh && go test ./store/... ./summarize/...
#
# The server lives in a temporary folder that only its user can enter and
# listens only on a Unix socket there (no TCP), so although it trusts every
# connection (it holds nothing but test data) no other user of the machine
# can reach it. It is stopped and deleted when the sourcing shell exits (an
# EXIT trap). It uses Debian's postgresql package, installed with apt-get
# when no PostgreSQL server is found. PostgreSQL refuses to run as root: as
# root, the server runs as the user "postgres" (created when missing).

storybot_pg_start() {
	local bin run port dir
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true) # none: set -e must not end .ci/run here
	if [ -z "$bin" ] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		bin=$(dirname "$(readlink -f "$(command -v initdb)")")
	fi
	if [ -z "$bin" ]; then
		echo "installing PostgreSQL (Debian's postgresql package)"
		if [ "$(id -u)" -ne 0 ]; then
			echo "PostgreSQL is not installed and this is not root: apt-get install postgresql" >&2
			return 1
		fi
		# No "main" cluster: it would start on 5432, and only ours is needed.
		mkdir -p /etc/postgresql-common/createcluster.d &&
			echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/storybot-ci.conf &&
			apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null ||
			return 1
		bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
		[ -n "$bin" ] || { echo "apt-get installed no PostgreSQL server" >&2; return 1; }
	fi

	run=()
	if [ "$(id -u)" -eq 0 ]; then
		id -u postgres >/dev/null 2>&1 ||
			useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres || return 1
		run=(runuser -u postgres --)
	fi

	# The port names the socket file; start retries on another one if a
	# server of the same port is found there after all.
	port=$((20000 + $$ % 10000))

	dir=$(mktemp -d /tmp/storybot-pg.XXXXXX) || return 1 # not $TMPDIR: the server user must reach it
	STORYBOT_PG_DIR=$dir
	STORYBOT_PG_RUN=("${run[@]}")
	STORYBOT_PG_CTL=$bin/pg_ctl
	trap storybot_pg_stop EXIT
	[ ${#run[@]} -eq 0 ] || chown postgres: "$dir" || return 1

	"${run[@]}" "$bin/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	# Durability off: a test server that loses its data in a crash loses nothing.
	local try
	for try in 1 2 3 4 5; do
		"${run[@]}" "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --silent start \
			-o "-c listen_addresses= -c port=$port -c unix_socket_directories='$dir' -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" &&
			break
		if [ "$try" -eq 5 ] || ! grep -q "could not bind\|could not create any TCP/IP sockets" "$dir/server.log"; then
			cat "$dir/server.log" >&2
			return 1
		fi
		port=$((port + 101))
	done
	"$bin/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -c 'CREATE DATABASE storybot_test' ||
		return 1
	export STORYBOT_TEST_POSTGRES="postgres://postgres@/storybot_test?host=$dir&port=$port&sslmode=disable"
	echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on the socket in $dir (STORYBOT_TEST_POSTGRES)"
}

storybot_pg_stop() {
	[ -n "${STORYBOT_PG_DIR:-}" ] || return 0
	"${STORYBOT_PG_RUN[@]}" "$STORYBOT_PG_CTL" --pgdata="$STORYBOT_PG_DIR/data" --mode=immediate --silent stop >/dev/null 2>&1 || true
	rm -rf "$STORYBOT_PG_DIR"
	STORYBOT_PG_DIR=
}

storybot_pg_start
