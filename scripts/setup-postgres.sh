#!/usr/bin/env bash
# Installs (when missing) PostgreSQL 15 from Debian's packages and starts its cluster 15/main
# without systemd (pg_ctlcluster), listening on the unix socket /var/run/postgresql and on
# loopback only (Debian's default). The tests connect as the invoking user over the socket
# (peer authentication): this user gets a superuser role when it has none, so the tests can
# create and drop their own databases (vft_*). Idempotent. Needs root.
set -euo pipefail

log() { echo "[setup-postgres] $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (installs packages and starts PostgreSQL)"; exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if ! installed postgresql-15; then
  log "installing postgresql-15"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-client-15 >/dev/null
fi

if ! pg_lsclusters -h | awk '$1 == "15" && $2 == "main"' | grep -q .; then
  log "creating cluster 15/main"
  pg_createcluster 15 main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1 == "15" && $2 == "main" && $4 == "online"' | grep -q .; then
  log "starting cluster 15/main"
  mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
  pg_ctlcluster 15 main start
fi
for _ in $(seq 1 50); do
  pg_isready -q -h /var/run/postgresql && break
  sleep 0.2
done
pg_isready -q -h /var/run/postgresql || { log "cluster 15/main does not answer"; exit 1; }

me=$(id -un)
if [ "$me" != postgres ] && ! su postgres -s /bin/sh -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = '$me'\"" | grep -q 1; then
  log "creating superuser role $me (peer authentication on the unix socket)"
  su postgres -s /bin/sh -c "createuser -s '$me'"
fi
log "PostgreSQL $(psql -d postgres -tAc 'SHOW server_version') ready on /var/run/postgresql"
