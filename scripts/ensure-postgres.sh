#!/bin/sh
# Prints the directory that holds PostgreSQL's server binaries (initdb,
# pg_ctl, postgres), which the tests and the demo need. Looks at $PG_BIN,
# then initdb/pg_ctl on PATH, then /usr/lib/postgresql/*/bin (highest
# version first) and the usual Homebrew and PGDG places; the same search as
# wire/pgtest.FindBin. When none is found and we are root with apt-get,
# installs the package postgresql; otherwise says how to install it.
# Only the directory goes to stdout; everything else goes to stderr.
set -eu

has_server() {
	[ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]
}

# Directories matching a glob, highest version first (16 before 9.6).
by_version() {
	for d in $1; do
		[ -d "$d" ] && printf '%s\n' "$d"
	done | awk '{ v = $0; gsub(/[^0-9.]+/, " ", v); split(v, p, /[ .]+/); k = ""
		for (i = 1; i <= 4; i++) { if (p[i] == "") { n = 0 } else { n = p[i] }; k = k sprintf("%06d", n) }
		print k " " $0 }' | sort -r | cut -d' ' -f2-
}

find_bin() {
	if [ -n "${PG_BIN:-}" ]; then
		if has_server "$PG_BIN"; then
			printf '%s\n' "$PG_BIN"
			return 0
		fi
		echo "ensure-postgres: PG_BIN=$PG_BIN lacks initdb, pg_ctl or postgres; looking elsewhere" >&2
	fi
	if initdb=$(command -v initdb 2>/dev/null) && command -v pg_ctl >/dev/null 2>&1; then
		real=$(readlink -f "$initdb" 2>/dev/null || printf '%s' "$initdb")
		for d in "$(dirname "$real")" "$(dirname "$initdb")"; do
			if has_server "$d"; then
				printf '%s\n' "$d"
				return 0
			fi
		done
	fi
	for pattern in '/usr/lib/postgresql/*/bin' '/usr/pgsql-*/bin' \
		'/opt/homebrew/opt/postgresql*/bin' '/usr/local/opt/postgresql*/bin'; do
		for d in $(by_version "$pattern"); do
			if has_server "$d"; then
				printf '%s\n' "$d"
				return 0
			fi
		done
	done
	return 1
}

if find_bin; then
	exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "ensure-postgres: PostgreSQL not found; installing it: apt-get install -y postgresql" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y --no-install-recommends postgresql >&2
	if find_bin; then
		exit 0
	fi
fi

cat >&2 <<'MSG'
ensure-postgres: PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found
on PATH, in $PG_BIN or in /usr/lib/postgresql/*/bin. Install them:
  Debian/Ubuntu:  sudo apt-get install -y postgresql
  Fedora:         sudo dnf install -y postgresql-server
  macOS:          brew install postgresql
or set PG_BIN to the directory that holds them.
MSG
exit 1
