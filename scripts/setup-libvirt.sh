#!/usr/bin/env bash
# Installs (when missing) and starts libvirt + QEMU/KVM on a Debian 12 host without systemd.
# Idempotent: safe to run again; starts only daemons that are not already running.
# Needs root. See shared notes "libvirt-here".
set -euo pipefail

log() { echo "[setup-libvirt] $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (installs packages and starts libvirtd)"; exit 1
fi

# parted: libvirt's disk pools create and remove partitions with it.
# isc-dhcp-client: the network tests run dhclient -4/-6 in a namespace on a network's bridge.
PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base iptables xorriso parted isc-dhcp-client)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The QEMU driver refuses to load without these accounts.
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || \
  useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
if [ -e /dev/kvm ]; then chgrp kvm /dev/kvm 2>/dev/null || true; chmod 0666 /dev/kvm 2>/dev/null || true; fi
mkdir -p /var/log/libvirt /var/lib/libvirt/images /run/libvirt

running() { local pidfile=$1; [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

if ! running /run/virtlogd.pid; then
  log "starting virtlogd"
  rm -f /run/virtlogd.pid
  virtlogd -d
fi
if ! running /run/libvirtd.pid; then
  log "starting libvirtd"
  rm -f /run/libvirtd.pid
  libvirtd -d
fi

for _ in $(seq 1 100); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    log "libvirtd ready: $(virsh -c qemu:///system version 2>/dev/null | grep -i 'running hypervisor' || true)"
    exit 0
  fi
  sleep 0.1
done
log "libvirtd did not answer within 10 s; see /var/log/libvirt/libvirtd.log"
exit 1
