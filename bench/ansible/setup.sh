#!/usr/bin/env bash
# Installs what bench/ansible-vs-apply.ts needs for its Ansible side — Debian 12's `ansible`
# package (ansible-core + the community collections, community.libvirt among them) and the
# Python modules community.libvirt.virt imports (libvirt, lxml) — only when missing, then
# checks that `ansible-doc community.libvirt.virt` works and that /usr/bin/python3 (the
# interpreter the benchmark pins) imports them. Benchmark-only: not a project
# dependency. Idempotent; needs root (apt-get).
set -euo pipefail

log() { echo "[bench/ansible/setup] $*" >&2; }

PKGS=(ansible python3-libvirt python3-lxml)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then log "must run as root to install: ${missing[*]}"; exit 1; fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "already installed: ${PKGS[*]}"
fi

if ! ANSIBLE_NOCOLOR=1 ansible-doc community.libvirt.virt >/dev/null 2>&1; then
  log "ansible-doc community.libvirt.virt failed:"
  ANSIBLE_NOCOLOR=1 ansible-doc community.libvirt.virt 2>&1 | head -20 >&2
  exit 1
fi
/usr/bin/python3 -c 'import libvirt, lxml' || { log "/usr/bin/python3 cannot import libvirt/lxml"; exit 1; }
log "ok: $(ansible --version 2>/dev/null | sed -n 1p); community.libvirt $(ansible-galaxy collection list community.libvirt 2>/dev/null | awk '$1 == "community.libvirt" {print $2; exit}')"
