#!/usr/bin/env bash
# Makes a checkout runnable: host packages + daemons (scripts/setup-libvirt.sh, scripts/setup-postgres.sh), npm packages
# when package-lock.json changed since the last install, and a fresh build. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[ensure-deps] $*" >&2; }

if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  log "Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none))"; exit 1
fi

bash scripts/setup-libvirt.sh
bash scripts/setup-postgres.sh

stamp=node_modules/.virtfleet-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "${FORCE_NPM_CI:-0}" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm packages (npm ci; better-sqlite3 compiles from source, ~2 min)"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

log "building"
npm run -s build
