# Sourced by .ci/run. The PostgreSQL store's tests need a real server: when
# SFPDESK_TEST_POSTGRES does not already name one, this installs PostgreSQL
# from Debian if it is missing, starts a throwaway cluster on loopback and
# exports SFPDESK_TEST_POSTGRES; the cluster stops and its data goes when the
# sourcing shell exits.
if [ -z "${SFPDESK_TEST_POSTGRES:-}" ]; then
  pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
  sfp_pgbin=$(pg_bin)
  if [ -z "$sfp_pgbin" ]; then
    sfp_sudo=""
    [ "$(id -u)" -ne 0 ] && sfp_sudo=sudo
    $sfp_sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sfp_sudo apt-get install -y --no-install-recommends postgresql
    sfp_pgbin=$(pg_bin)
  fi
  # initdb refuses to run as root: the cluster belongs to the postgres
  # system user then, else to whoever runs CI.
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    sfp_as() { runuser -u postgres -- "$@"; }
  else
    sfp_as() { "$@"; }
  fi
  sfp_pgdata=$(mktemp -d /tmp/sfpdesk-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres "$sfp_pgdata"
  sfp_as "$sfp_pgbin/initdb" -D "$sfp_pgdata/data" -U postgres -A trust -E UTF8 --no-sync >"$sfp_pgdata/initdb.log" 2>&1 ||
    { cat "$sfp_pgdata/initdb.log"; exit 1; }
  sfp_pg_stop() {
    sfp_as "$sfp_pgbin/pg_ctl" -D "$sfp_pgdata/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$sfp_pgdata"
  }
  trap sfp_pg_stop EXIT
  # A free port: the first of a few random ones the server can bind.
  sfp_started=""
  for _ in 1 2 3 4 5 6 7 8; do
    sfp_pgport=$((20000 + RANDOM % 40000))
    if sfp_as "$sfp_pgbin/pg_ctl" -D "$sfp_pgdata/data" -l "$sfp_pgdata/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $sfp_pgport -k $sfp_pgdata -c fsync=off -c max_connections=300" start >/dev/null; then
      sfp_started=1
      break
    fi
  done
  if [ -z "$sfp_started" ]; then
    cat "$sfp_pgdata/server.log"; exit 1
  fi
  export SFPDESK_TEST_POSTGRES="postgres://postgres@127.0.0.1:$sfp_pgport/postgres?sslmode=disable"
  echo "PostgreSQL $("$sfp_pgbin/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$sfp_pgport"
fi
