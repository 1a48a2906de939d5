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
# scripts/test-image: build the test guest image (no loop mounts) and boot it under UEFI;
# openssh-client: the real-guest tests log in to booted guests over SSH.
# chromium + fonts-liberation: the dashboard's browser tests and screenshots (headless, playwright-core);
# systemd: only its systemd-analyze, which checks the shipped units (nothing here runs systemd).
# faketime (libfaketime): the replica clock-skew test runs a controller with its clock minutes off.
PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base iptables xorriso parted isc-dhcp-client
  mmdebstrap fdisk e2fsprogs dosfstools mtools ovmf jq bc swtpm swtpm-tools openssh-client
  chromium fonts-liberation systemd faketime)
# Storage pool backends shipped as separate packages (libvirtd loads backends only at start).
BACKEND_PKGS=(libvirt-daemon-driver-storage-rbd libvirt-daemon-driver-storage-iscsi-direct libvirt-daemon-driver-storage-gluster)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
backend_installed_now=0
for p in "${PKGS[@]}" "${BACKEND_PKGS[@]}"; do
  installed "$p" || missing+=("$p")
done
for p in "${BACKEND_PKGS[@]}"; do
  installed "$p" || backend_installed_now=1
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
# A libvirtd that was already running before a storage backend package was just installed does not
# know the backend ("missing backend for pool type"): restart it, once, and only in that case.
# Guests keep running across a libvirtd restart (QEMU processes are not its children to kill).
if [ "$backend_installed_now" -eq 1 ] && running /run/libvirtd.pid; then
  log "restarting libvirtd to load the storage backends just installed"
  pid=$(cat /run/libvirtd.pid)
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
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
