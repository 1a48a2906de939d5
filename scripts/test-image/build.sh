#!/usr/bin/env bash
# Builds the Debian 12 test guest image (qcow2) from Debian's packages, without loop
# devices, device-mapper or mounting the image: mmdebstrap into a directory, `mkfs.ext4 -d`
# for the root file system, `mkfs.vfat` + mtools for the ESP, `sfdisk` on a plain file for
# the GPT, `dd conv=notrunc` to place the two file systems, `qemu-img convert` to qcow2.
#
# Output (cached, outside the repo; see docs/design/test-guest-image.md):
#   $VIRTFLEET_TEST_IMAGE_CACHE (default /var/cache/virtfleet/test-images)/<recipe hash>/
#     disk.qcow2   GPT: p1 ESP (shim + Debian's signed GRUB, boots under OVMF with or without
#                  Secure Boot), p2 ext4 root (label "root")
#     vmlinuz, initrd.img, cmdline   for direct kernel boot (BIOS/SeaBIOS, the fastest path)
#     image.env    KEY=VALUE facts (paths, kernel version, partition UUIDs, build time)
#     packages.txt dpkg -l of the image
# The recipe hash is the sha256 over this script and recipe/* (names and contents): the
# image is rebuilt only when one of them changes. The build goes into a temp dir next to
# the target and is renamed into place at the end; a lock (flock) serialises builds.
#
# Usage: build.sh [--print-dir]   (prints progress on stderr; with --print-dir, the image
#                                  directory on stdout)
# Needs root (mmdebstrap's root mode chroots and runs the packages' maintainer scripts).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${VIRTFLEET_TEST_IMAGE_CACHE:-/var/cache/virtfleet/test-images}
MIRROR=${VIRTFLEET_TEST_IMAGE_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${VIRTFLEET_TEST_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Sizes. The root file system is sparse in the qcow2; cloud-init grows it (growpart +
# resize2fs) when the guest's volume is larger.
ESP_MIB=64
ROOT_MIB=2048
# Fixed GPT identities: the kernel command line names the root by PARTUUID.
DISK_GUID=5f1e6c1a-2d0b-4c8e-9b31-0d8f2a7c0001
ESP_PARTUUID=5f1e6c1a-2d0b-4c8e-9b31-0d8f2a7c00e5
ROOT_PARTUUID=5f1e6c1a-2d0b-4c8e-9b31-0d8f2a7c0002
ROOT_FS_UUID=5f1e6c1a-2d0b-4c8e-9b31-0d8f2a7c0f50
# Kernel command line for both boot paths. console=ttyS0: the serial console is what tests
# read; no 'quiet' (see the design note for the measured difference).
CMDLINE="root=PARTUUID=$ROOT_PARTUUID rw console=ttyS0,115200n8 mitigations=off"

log() { echo "[test-image] $(date -u +%H:%M:%S) $*" >&2; }
die() { log "error: $*"; exit 1; }

recipe_hash() {
  # Names and contents, sorted, so that renaming a file also changes the hash.
  (cd "$HERE" && for f in build.sh $(find recipe -type f | LC_ALL=C sort); do
    printf '%s\0' "$f"; sha256sum <"$f"
  done) | sha256sum | cut -c1-64
}

PRINT_DIR=0
[ "${1:-}" = "--print-dir" ] && PRINT_DIR=1

HASH=$(recipe_hash)
OUT="$CACHE/$HASH"
done_exit() { [ "$PRINT_DIR" = 1 ] && echo "$OUT"; exit 0; }
# A cached image needs no root: only building does.
[ -f "$OUT/image.env" ] && done_exit
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap root mode)"

for tool in mmdebstrap sfdisk mkfs.ext4 mkfs.vfat mmd mcopy qemu-img flock dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || die "missing tool '$tool' (install: mmdebstrap fdisk e2fsprogs dosfstools mtools qemu-utils; scripts/setup-libvirt.sh does)"
done

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE/.build.lock; waiting"
  flock 9
fi
# The other build may have produced this very image while we waited.
[ -f "$OUT/image.env" ] && done_exit

START=$(date +%s)
WORK=$(mktemp -d "$CACHE/.build-$HASH.XXXXXX")
cleanup() {
  # mmdebstrap unmounts what it mounted; make sure nothing is left before removing.
  if [ -d "$WORK/root" ] && grep -q " $WORK/root" /proc/self/mounts; then
    log "leftover mounts under $WORK/root; not removing $WORK"
    return
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
log "building image $HASH in $WORK"

PKGS=$(grep -v '^\s*#' "$HERE/recipe/packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')

# 1. The root tree. Hooks: initramfs config before the kernel's postinst runs (one
#    initramfs build, already small); customisation after all packages are in.
log "mmdebstrap bookworm (packages: $PKGS)"
nice -n 19 ionice -c3 mmdebstrap \
  --mode=root --variant=apt --format=directory \
  --aptopt='APT::Install-Recommends "false"' \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --include="$PKGS" \
  --essential-hook="mkdir -p \"\$1/etc/initramfs-tools/conf.d\" \"\$1/etc/initramfs-tools/hooks\"" \
  --essential-hook="cp '$HERE/recipe/initramfs.conf' \"\$1/etc/initramfs-tools/conf.d/virtfleet-test\"" \
  --essential-hook="install -m 0755 '$HERE/recipe/initramfs-hook' \"\$1/etc/initramfs-tools/hooks/virtfleet-test-modules\"" \
  --customize-hook="'$HERE/recipe/customize.sh' \"\$1\" '$ROOT_PARTUUID' '$ESP_PARTUUID'" \
  bookworm "$WORK/root" \
  "deb $MIRROR bookworm main" \
  "deb $MIRROR bookworm-updates main" \
  "deb $SECURITY_MIRROR bookworm-security main" \
  >&2

# DNS: systemd-resolved takes what networkd learns (DHCP, or cloud-init's nameservers) and
# serves it on 127.0.0.53; without it the guest kept the BUILD HOST's resolv.conf (mmdebstrap
# copies it in). Set after mmdebstrap, which restores what it copied when it finishes.
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$WORK/root/etc/resolv.conf"

KVER=$(basename "$(ls -d "$WORK"/root/lib/modules/* | head -1)")
KERNEL=vmlinuz-$KVER
INITRD=initrd.img-$KVER
[ -f "$WORK/root/boot/$KERNEL" ] && [ -f "$WORK/root/boot/$INITRD" ] || die "no kernel/initrd in /boot"
cp "$WORK/root/boot/$KERNEL" "$WORK/vmlinuz"
cp "$WORK/root/boot/$INITRD" "$WORK/initrd.img"
chroot "$WORK/root" dpkg-query -W -f='${Package} ${Version}\n' >"$WORK/packages.txt"
log "kernel $KVER; $(wc -l <"$WORK/packages.txt") packages; tree $(du -sm "$WORK/root" | cut -f1) MiB"

# 2. ESP: shim (signed by Microsoft's UEFI CA) as the removable-media boot path, Debian's
#    signed GRUB next to it, and grub.cfg where that GRUB looks ($prefix=/EFI/debian).
#    Both are unpacked from the .debs, not installed on this host nor in the image.
log "ESP: shim-signed, grub-efi-amd64-signed"
mkdir -p "$WORK/efi"
for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$WORK/efi"; done
SHIM=$WORK/efi/usr/lib/shim/shimx64.efi.signed
MM=$WORK/efi/usr/lib/shim/mmx64.efi.signed
GRUB=$WORK/efi/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
[ -f "$SHIM" ] && [ -f "$GRUB" ] || die "signed shim/grub not found in the downloaded packages"
sed -e "s|@ROOT_FS_UUID@|$ROOT_FS_UUID|" -e "s|@KERNEL@|$KERNEL|" -e "s|@INITRD@|$INITRD|" \
  -e "s|@CMDLINE@|$CMDLINE|" "$HERE/recipe/grub.cfg" >"$WORK/grub.cfg"
rm -f "$WORK/esp.img"
mkfs.vfat -F 32 -n ESP -i 5EFE0001 -C "$WORK/esp.img" $((ESP_MIB * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$WORK/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$WORK/esp.img" "$SHIM" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$WORK/esp.img" "$GRUB" ::/EFI/BOOT/grubx64.efi
[ -f "$MM" ] && mcopy -i "$WORK/esp.img" "$MM" ::/EFI/BOOT/mmx64.efi
mcopy -i "$WORK/esp.img" "$WORK/grub.cfg" ::/EFI/debian/grub.cfg
mcopy -i "$WORK/esp.img" "$WORK/grub.cfg" ::/EFI/BOOT/grub.cfg

# 3. Root file system populated from the tree (no mount).
log "mkfs.ext4 -d (${ROOT_MIB} MiB)"
rm -rf "$WORK/debs" "$WORK/efi"
nice -n 19 ionice -c3 mkfs.ext4 -q -F -L root -U "$ROOT_FS_UUID" -d "$WORK/root" \
  -E root_owner=0:0 "$WORK/root.img" "${ROOT_MIB}M"

# 4. GPT on a plain file; place the file systems at their partitions' offsets.
log "GPT + qcow2"
ESP_START=2048
ROOT_START=$((ESP_START + ESP_MIB * 2048))
TOTAL_SECTORS=$((ROOT_START + ROOT_MIB * 2048 + 2048))
truncate -s $((TOTAL_SECTORS * 512)) "$WORK/disk.raw"
sfdisk -q "$WORK/disk.raw" <<EOF
label: gpt
label-id: $DISK_GUID
start=$ESP_START, size=$((ESP_MIB * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP_PARTUUID, name="esp"
start=$ROOT_START, size=$((ROOT_MIB * 2048)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$ROOT_PARTUUID, name="root"
EOF
dd if="$WORK/esp.img" of="$WORK/disk.raw" bs=1M seek=$((ESP_START / 2048)) conv=notrunc,sparse status=none
dd if="$WORK/root.img" of="$WORK/disk.raw" bs=1M seek=$((ROOT_START / 2048)) conv=notrunc,sparse status=none
rm -f "$WORK/esp.img" "$WORK/root.img"
nice -n 19 ionice -c3 qemu-img convert -f raw -O qcow2 -o cluster_size=65536 "$WORK/disk.raw" "$WORK/disk.qcow2"
rm -f "$WORK/disk.raw"
echo "$CMDLINE" >"$WORK/cmdline"

# 5. Facts, then drop the tree and publish atomically.
DISK_SHA256=$(sha256sum "$WORK/disk.qcow2" | cut -d' ' -f1)
BUILD_SECONDS=$(($(date +%s) - START))
cat >"$WORK/image.env" <<EOF
RECIPE_HASH=$HASH
DISK=$OUT/disk.qcow2
DISK_SHA256=$DISK_SHA256
KERNEL=$OUT/vmlinuz
INITRD=$OUT/initrd.img
CMDLINE="$CMDLINE"
KERNEL_VERSION=$KVER
ROOT_PARTUUID=$ROOT_PARTUUID
ESP_PARTUUID=$ESP_PARTUUID
ROOT_FS_UUID=$ROOT_FS_UUID
VIRTUAL_SIZE_BYTES=$((TOTAL_SECTORS * 512))
BUILD_SECONDS=$BUILD_SECONDS
BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
rm -rf "$WORK/root" "$WORK/grub.cfg"
chmod 0755 "$WORK"
chmod 0644 "$WORK"/*
mv -T "$WORK" "$OUT"
log "done in ${BUILD_SECONDS}s: $OUT ($(du -m "$OUT/disk.qcow2" | cut -f1) MiB qcow2)"
done_exit
