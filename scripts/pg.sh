#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a local PostgreSQL, installing Debian's
# `postgresql` package and starting a cluster on 127.0.0.1 when none is running.
#   bash scripts/pg.sh vitest run          (what `npm run test:pg` does)
# Honours TEST_DATABASE_URL when already set (then nothing is installed or started).
set -euo pipefail

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  PGPORT="${PGPORT:-5432}"
  PGPASSWORD_LOCAL="${PGPASSWORD_LOCAL:-postgres}"
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    if [ "$(id -u)" != "0" ]; then
      echo "PostgreSQL is not installed: apt-get install postgresql (as root), or set TEST_DATABASE_URL" >&2
      exit 1
    fi
    echo "installing Debian's postgresql package…" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $1}')"
  cluster="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $2}')"
  if [ -z "$version" ]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
    cluster=main
    pg_createcluster "$version" "$cluster" -p "$PGPORT" >/dev/null
  fi
  PGPORT="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')"
  if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
    pg_ctlcluster "$version" "$cluster" start
  fi
  for _ in $(seq 1 30); do
    runuser -u postgres -- psql -p "$PGPORT" -qAtc "SELECT 1" >/dev/null 2>&1 && break
    sleep 1
  done
  runuser -u postgres -- psql -p "$PGPORT" -qc "ALTER USER postgres PASSWORD '${PGPASSWORD_LOCAL}'" >/dev/null
  export TEST_DATABASE_URL="postgresql://postgres:${PGPASSWORD_LOCAL}@127.0.0.1:${PGPORT}/postgres"
fi

echo "PostgreSQL for tests: ${TEST_DATABASE_URL%%@*}@…" >&2
exec "$@"
