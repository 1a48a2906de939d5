#!/usr/bin/env bash
# Boots the test image once under libvirt (qemu:///system) and measures, from `virsh start`:
#   kernel     first kernel line on the serial console ("Linux version")
#   systemd    systemd's banner ("Welcome to")
#   agent      first successful guest-ping through the qemu-guest-agent channel
#   userdata   the file written by the seed's user-data (write_files) read back via guest-exec
#   final      cloud-init's final message on the console ("Cloud-init v. ... finished")
#   login      the serial getty's login prompt
# Then prints `cloud-init status --long` and `systemd-analyze` from inside the guest, and
# removes everything it made (domain incl. NVRAM, overlay, seed ISO, temp dir).
#
# Usage: boot-test.sh [--boot direct|uefi|uefi-sb] [--vcpus N] [--memory MiB]
#                     [--cmdline-extra "..."] [--nic NETWORK] [--keep] [--timeout S]
#                     [--seed-bus sata|virtio] [--image-dir DIR (default: path.sh dir)]
# Objects are named vft-gi-<pid>; runs with nice/ionice.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BOOT=direct VCPUS=1 MEMORY=512 EXTRA="" NIC="" KEEP=0 TIMEOUT=600 SEED_BUS=sata IMAGE_DIR=""
while [ $# -gt 0 ]; do
  case $1 in
    --boot) BOOT=$2; shift 2;;
    --vcpus) VCPUS=$2; shift 2;;
    --memory) MEMORY=$2; shift 2;;
    --cmdline-extra) EXTRA=$2; shift 2;;
    --nic) NIC=$2; shift 2;;
    --keep) KEEP=1; shift;;
    --seed-bus) SEED_BUS=$2; shift 2;;
    --image-dir) IMAGE_DIR=$2; shift 2;;
    --timeout) TIMEOUT=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done

[ -n "$IMAGE_DIR" ] || IMAGE_DIR=$("$HERE/path.sh" dir)
# shellcheck disable=SC1091
. "$IMAGE_DIR/image.env"
NAME=vft-gi-$$
V="virsh -q -c qemu:///system"
WORK=/var/lib/libvirt/images/$NAME
mkdir -p "$WORK"

cleanup() {
  if [ "$KEEP" = 1 ]; then echo "kept $NAME and $WORK" >&2; return; fi
  $V destroy "$NAME" >/dev/null 2>&1 || true
  $V undefine "$NAME" --nvram >/dev/null 2>&1 || $V undefine "$NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Throwaway overlay on the cached image, and a NoCloud seed (cidata) whose user-data writes
# a file with a nonce.
qemu-img create -q -f qcow2 -b "$DISK" -F qcow2 "$WORK/disk.qcow2" 4G
NONCE=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir "$WORK/seed"
cat >"$WORK/seed/meta-data" <<EOF
instance-id: $NAME-$NONCE
local-hostname: $NAME
EOF
cat >"$WORK/seed/user-data" <<EOF
#cloud-config
write_files:
  - path: /run/vft-gi-marker
    content: "$NONCE"
EOF
xorriso -as mkisofs -quiet -V cidata -J -R -o "$WORK/seed.iso" "$WORK/seed" 2>/dev/null
touch "$WORK/serial.log"

case $BOOT in
  direct)
    OS="<type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$KERNEL</kernel><initrd>$INITRD</initrd>
    <cmdline>$CMDLINE $EXTRA</cmdline>"
    FEATURES="<acpi/>";;
  uefi)
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/nvram.fd"
    OS="<type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram>$WORK/nvram.fd</nvram>"
    FEATURES="<acpi/>";;
  uefi-sb)
    # Microsoft's keys enrolled (shim is signed by the Microsoft UEFI CA); SMM is required
    # for the secure-boot firmware build.
    cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$WORK/nvram.fd"
    OS="<type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</loader>
    <nvram>$WORK/nvram.fd</nvram>"
    FEATURES="<acpi/><smm state='on'/>";;
  *) echo "unknown boot $BOOT" >&2; exit 2;;
esac
case $SEED_BUS in
  sata) SEEDXML="<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>
      <source file='$WORK/seed.iso'/><target dev='sda' bus='sata'/><readonly/></disk>";;
  virtio) SEEDXML="<disk type='file' device='disk'><driver name='qemu' type='raw'/>
      <source file='$WORK/seed.iso'/><target dev='vdb' bus='virtio'/><readonly/></disk>";;
  *) echo "unknown seed bus $SEED_BUS" >&2; exit 2;;
esac
NICXML=""
[ -n "$NIC" ] && NICXML="<interface type='network'><source network='$NIC'/><model type='virtio'/></interface>"

cat >"$WORK/domain.xml" <<EOF
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>$MEMORY</memory>
  <vcpu>$VCPUS</vcpu>
  <os>
    $OS
  </os>
  <features>$FEATURES</features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='$WORK/disk.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    $SEEDXML
    $NICXML
    <serial type='pty'><log file='$WORK/serial.log' append='off'/><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
$V define "$WORK/domain.xml" >/dev/null

agent() { $V qemu-agent-command "$NAME" --timeout 2 "$1" 2>/dev/null; }
# Runs a command in the guest; prints its stdout (decoded). Empty on any failure.
guest_exec() {
  local args pid out
  args=$(printf '%s\n' "${@:2}" | jq -R . | jq -sc --arg p "$1" \
    '{execute:"guest-exec",arguments:{path:$p,arg:.,"capture-output":true}}')
  pid=$(agent "$args" | jq -r '.return.pid' 2>/dev/null) || return 0
  [ -n "$pid" ] && [ "$pid" != null ] || return 0
  for _ in $(seq 1 100); do
    out=$(agent "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") || true
    if [ "$(jq -r '.return.exited' <<<"$out" 2>/dev/null)" = true ]; then
      jq -r '.return["out-data"] // empty' <<<"$out" | base64 -d
      return 0
    fi
    sleep 0.2
  done
}

declare -A AT=()
now() { date +%s.%N; }
T0=$(now)
$V start "$NAME" >/dev/null
AT[started]=$(now)
mark() { [ -z "${AT[$1]:-}" ] && AT[$1]=$(now) && printf '  %-9s %6.1f s\n' "$1" "$(echo "${AT[$1]} - $T0" | bc)" >&2; return 0; }
mark started
while :; do
  elapsed=$(echo "$(now) - $T0" | bc)
  if [ "$(echo "$elapsed > $TIMEOUT" | bc)" = 1 ]; then echo "timeout after ${TIMEOUT}s; serial log tail:" >&2; tail -20 "$WORK/serial.log" >&2; exit 1; fi
  grep -q 'Linux version' "$WORK/serial.log" && mark kernel
  grep -qE 'Welcome to .*Debian' "$WORK/serial.log" && mark systemd
  grep -qE 'Cloud-init v\. .* finished' "$WORK/serial.log" && mark final
  grep -q 'login:' "$WORK/serial.log" && mark login
  if [ -z "${AT[agent]:-}" ]; then
    agent '{"execute":"guest-ping"}' >/dev/null && mark agent
  elif [ -z "${AT[userdata]:-}" ]; then
    [ "$(guest_exec /bin/cat /run/vft-gi-marker)" = "$NONCE" ] && mark userdata
  fi
  [ -n "${AT[userdata]:-}" ] && [ -n "${AT[final]:-}" ] && [ -n "${AT[login]:-}" ] && break
  sleep 0.25
done

echo "--- cloud-init status --long" >&2
guest_exec /usr/bin/cloud-init status --long >&2 || true
echo "--- systemd-analyze" >&2
guest_exec /usr/bin/systemd-analyze >&2 || true
echo "--- systemd-analyze blame (top 12)" >&2
guest_exec /usr/bin/systemd-analyze blame --no-pager | head -12 >&2 || true
# One line for tables: boot vcpus memory and the marks in seconds.
printf 'RESULT kernel=%s boot=%s seed=%s vcpus=%s mem=%s extra="%s"' "$KERNEL_VERSION" "$BOOT" "$SEED_BUS" "$VCPUS" "$MEMORY" "$EXTRA"
for k in kernel systemd agent userdata final login; do
  if [ -n "${AT[$k]:-}" ]; then printf ' %s=%.1f' "$k" "$(echo "${AT[$k]} - $T0" | bc)"; else printf ' %s=-' "$k"; fi
done
echo
