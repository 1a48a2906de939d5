#!/bin/sh
# mmdebstrap --customize-hook: configures the image tree $1 after all packages are installed.
# Args: ROOT_DIR ROOT_PARTUUID ESP_PARTUUID. Runs on the build host as root.
set -eu
R=$1 ROOT_PARTUUID=$2
HERE=$(dirname "$0")

# Root by PARTUUID (same as the kernel command line); no fsck pass: test guests run on
# throwaway overlays of this image.
printf 'PARTUUID=%s / ext4 rw,discard,errors=remount-ro 0 0\n' "$ROOT_PARTUUID" >"$R/etc/fstab"
echo debian >"$R/etc/hostname"
# Each guest makes its own machine id on first boot (and cloud-init sees a new instance).
echo uninitialized >"$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"

install -m 0644 "$HERE/cloud.cfg" "$R/etc/cloud/cloud.cfg.d/90-virtfleet-test.cfg"
mkdir -p "$R/etc/systemd/system/systemd-networkd-wait-online.service.d"
install -m 0644 "$HERE/wait-online.conf" \
  "$R/etc/systemd/system/systemd-networkd-wait-online.service.d/virtfleet-test.conf"

mkdir -p "$R/etc/systemd/system/qemu-guest-agent.service.d"
install -m 0644 "$HERE/qemu-guest-agent.conf" \
  "$R/etc/systemd/system/qemu-guest-agent.service.d/virtfleet-test.conf"

install -m 0644 "$HERE/hotplug.rules" "$R/etc/udev/rules.d/80-virtfleet-test-hotplug.rules"

chroot "$R" systemctl enable systemd-networkd.service >/dev/null 2>&1
# Periodic jobs that only cost CPU in a short-lived TCG guest.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  chroot "$R" systemctl mask "$u" >/dev/null 2>&1 || true
done

# The signed EFI binaries for the ESP: downloaded (not installed) while the tree still has
# its apt lists, and moved next to the tree ($R/../debs) for build.sh to unpack.
# systemd-resolved's postinst made /etc/resolv.conf its stub link (nothing answers in a
# chroot): resolve with the build host's file for the download; build.sh sets the link again.
rm -f "$R/etc/resolv.conf"
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/var/tmp/efi-debs"
chroot "$R" sh -c 'cd /var/tmp/efi-debs && apt-get download -q -o APT::Sandbox::User=root \
  shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed' >&2
mv "$R/var/tmp/efi-debs" "$R/../debs"
