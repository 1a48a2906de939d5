#!/usr/bin/env bash
# Prints a path of the cached test guest image, building the image first when the cache has
# none for the current recipe (build.sh; progress on stderr, several minutes cold).
#
# Usage: path.sh [dir|disk|kernel|initrd|cmdline|env]   (default: dir)
#   dir      the image directory  /var/cache/virtfleet/test-images/<recipe hash>
#   disk     disk.qcow2 (use as a read-only backing file: qemu-img create -b ... -F qcow2)
#   kernel, initrd   for direct kernel boot;  cmdline  prints the kernel command line itself
#   env      image.env (KEY=VALUE; source it from a shell)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=$("$HERE/build.sh" --print-dir)
case ${1:-dir} in
  dir) echo "$DIR";;
  disk) echo "$DIR/disk.qcow2";;
  kernel) echo "$DIR/vmlinuz";;
  initrd) echo "$DIR/initrd.img";;
  cmdline) cat "$DIR/cmdline";;
  env) echo "$DIR/image.env";;
  *) echo "usage: path.sh [dir|disk|kernel|initrd|cmdline|env]" >&2; exit 2;;
esac
