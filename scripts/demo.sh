#!/usr/bin/env bash
# The main job on one machine: a controller (SQLite store in ./.virtfleet/controller) that
# loads and watches the example policies in policies/, and an agent for this host that
# converges them and keeps them enforced. Installs and starts what is missing first. Ctrl-C
# stops controller and agent; the guests keep running (remove them by setting the
# policies' resources to state: absent, or with virsh).
# Secure by default: the controller creates its CA in $dir/controller/pki and an admin
# credential in $dir/controller/admin (the CLI's, via VIRTFLEET_DATA); the agent enrols with a
# one-time token made here and keeps its certificate in $dir/agent/tls.
# The dashboard (docs/dashboard.md) listens on VIRTFLEET_WEB_LISTEN (HTTPS, the controller's
# certificate); the script prints its URL and a one-time sign-in link (valid 60 s).
# Environment: VIRTFLEET_LISTEN (default 127.0.0.1:7443), VIRTFLEET_WEB_LISTEN (default
# 127.0.0.1:7444), VIRTFLEET_DEMO_DIR (default ./.virtfleet).
#
# --real-guest: also a guest that really boots. Builds (or finds) the cached Debian 12 test
# image (scripts/test-image), and converges a copy of policies/ plus real-guest.yaml
# ($dir/policies): the image imported into vf-pool by a policy volume (file:// + sha256), an
# overlay of it, and guest demo-guest booting it directly (kernel + initrd) on vf-nat, with a
# cloud-init user vfadmin whose SSH key is made here ($dir/real-guest/id_ed25519). Prints the
# SSH command when the guest has finished cloud-init.
set -euo pipefail
cd "$(dirname "$0")/.."
real_guest=0
for arg in "$@"; do
  case $arg in
    --real-guest) real_guest=1;;
    *) echo "usage: npm run demo [-- --real-guest]" >&2; exit 2;;
  esac
done
bash scripts/ensure-deps.sh

listen=${VIRTFLEET_LISTEN:-127.0.0.1:7443}
web_listen=${VIRTFLEET_WEB_LISTEN:-127.0.0.1:7444}
dir=${VIRTFLEET_DEMO_DIR:-$PWD/.virtfleet}
mkdir -p "$dir"
cli="node dist/bin/virtfleet.js"
policies=$PWD/policies

if [ "$real_guest" = 1 ]; then
  echo "test guest image: building or finding it (scripts/test-image; 1-6 minutes cold)..."
  # shellcheck disable=SC1090
  . "$(bash scripts/test-image/path.sh env)"
  policies=$dir/policies
  rm -rf "$policies"; mkdir -p "$policies" "$dir/real-guest"
  cp -r "$PWD"/policies/. "$policies/"
  # A /dev/kvm without vmx/svm (kvm_pvm) opens but cannot run an unmodified guest: define the
  # guests for QEMU TCG there (kinds/domain/host-env.ts), with a CPU model TCG boots quickly.
  cpu=host-model
  if ! { [ -e /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; }; then
    export VIRTFLEET_DOMAIN_TYPE=qemu
    cpu="{mode: custom, model: qemu64}"
  fi
  [ -f "$dir/real-guest/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C vfadmin@demo -f "$dir/real-guest/id_ed25519"
  cat >"$policies/real-guest.yaml" <<YAML
# A guest that really boots (npm run demo -- --real-guest): the Debian 12 test image imported
# into vf-pool (baseline), an overlay per guest, direct kernel boot, cloud-init over NoCloud.
apiVersion: virtfleet/v1
kind: Policy
metadata:
  name: real-guest
  description: demo-guest boots the cached Debian 12 test image
spec:
  resources:
    volumes:
      - name: debian-12-test.qcow2
        pool: vf-pool
        format: qcow2
        capacity: 4GiB
        source: {url: "file://$DISK", sha256: "$DISK_SHA256"}
      - {name: demo-guest.qcow2, pool: vf-pool, format: qcow2, capacity: 4GiB, backingVolume: debian-12-test.qcow2}
    domains:
      - name: demo-guest
        vcpus: 1
        memory: 512MiB
        cpu: $cpu
        machine: q35
        kernel: {path: "$KERNEL", initrd: "$INITRD", cmdline: "$CMDLINE"}
        disks: [{volume: vf-pool/demo-guest.qcow2}]
        interfaces: [{network: vf-nat, mac: "52:54:00:7f:00:01"}]
        cloudInit:
          hostname: demo-guest
          users:
            - name: vfadmin
              sshAuthorizedKeys: ["$(cat "$dir/real-guest/id_ed25519.pub")"]
        state: running
YAML
fi


cleanup() {
  trap - EXIT INT TERM
  [ -n "${agent_pid:-}" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "${controller_pid:-}" ] && kill "$controller_pid" 2>/dev/null || true
  [ -n "${watcher_pid:-}" ] && kill "$watcher_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "stopped; logs are in $dir/*.log, state in $dir"
}
trap cleanup EXIT INT TERM

$cli controller --listen "$listen" --web-listen "$web_listen" --data "$dir/controller" --policies "$policies" 2>"$dir/controller.log" >"$dir/controller.out" &
controller_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$dir/controller.out" 2>/dev/null && break
  kill -0 "$controller_pid" 2>/dev/null || { echo "controller failed to start:"; tail -n 20 "$dir/controller.log"; exit 1; }
  sleep 0.1
done
address=$(sed -n 's/.*listening on //p' "$dir/controller.out")
dashboard=$(sed -n 's/.*dashboard on //p' "$dir/controller.out")
# A one-time sign-in link for the dashboard (valid 60 s, works once; `virtfleet web login` makes another).
signin=$($cli web login --controller "$address" --data "$dir/controller" 2>>"$dir/controller.log" || true)

# A one-time token (10 minutes): the agent needs it only while it has no certificate yet. It
# goes into a file only this user can read and reaches the agent as --token-file, never on a
# command line (where every local user would see it in ps).
token_file="$dir/agent.token"
(umask 077; $cli token create --controller "$address" --data "$dir/controller" --ttl 10m >"$token_file" 2>>"$dir/controller.log") || {
  echo "could not create an enrolment token:"; tail -n 20 "$dir/controller.log"; exit 1; }
$cli agent --controller "$address" --state-dir "$dir/agent" --token-file "$token_file" 2>"$dir/agent.log" &
agent_pid=$!

cat <<MSG

virtfleet is running (mTLS: the controller's CA, the agent enrolled with a one-time token). The agent is converging
this host to $policies (a NAT network, a storage pool, guests web-01 and db-01); edit a file
there and the controller rolls the change to the agent.
  controller  $address   store: $dir/controller/controller.db   CA: $dir/controller/pki   log: $dir/controller.log
  agent       $(hostname)   state: $dir/agent (certificate in tls/)   log: $dir/agent.log
  dashboard   $dashboard   (HTTPS with the controller's certificate: CA in $dir/controller/pki/ca.cert.pem)
              sign in within 60 s: $signin
              later: npx virtfleet web login   (prints a new one-time link)

Try, in another terminal:
  export VIRTFLEET_CONTROLLER=$address VIRTFLEET_DATA=$dir/controller   # the admin credential
  npx virtfleet hosts
  npx virtfleet host $(hostname)
  npx virtfleet policies                 # the loaded policies, their revisions and hosts
  npx virtfleet compliance               # per host and policy: compliant / drifted / pending
  npx virtfleet drift watch              # live drift events; in a third terminal:
  virsh destroy web-01                   #   repaired by the agent, reported within a second
  npx virtfleet drift                    # drift history
  npx virtfleet apply policies --local --dry-run   # masterless check of the same policies
  npx virtfleet plan web-db              # fleet-wide dry-run of the policy's revision
  npx virtfleet rollout status web-db --watch      # after editing policies/web-db.yaml: stages, soak, result
  (umask 077; npx virtfleet token create --ttl 1h > token)   # enrol another host: virtfleet agent --controller $address --token-file token
  npx virtfleet audit                    # who did what (token creation, enrolment, policy revisions)

Ctrl-C stops both.
MSG
if [ "$real_guest" = 1 ]; then
  # Tells when demo-guest has booted and finished cloud-init (its address from vf-nat's DHCP).
  # No errexit here: vf-nat does not exist until the agent has converged the baseline.
  (
    set +e
    t0=$(date +%s)
    ssh_opts=(-i "$dir/real-guest/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5)
    for _ in $(seq 1 900); do
      ip=$(virsh -q -c qemu:///system net-dhcp-leases vf-nat --mac 52:54:00:7f:00:01 2>/dev/null | awk '{print $5}' | cut -d/ -f1 | head -1 || true)
      if [ -n "$ip" ] && ssh "${ssh_opts[@]}" "vfadmin@$ip" test -f /var/lib/cloud/instance/boot-finished 2>/dev/null; then
        echo
        echo "demo-guest booted and finished cloud-init $(( $(date +%s) - t0 ))s after the demo started:"
        echo "  ssh -i $dir/real-guest/id_ed25519 vfadmin@$ip"
        exit 0
      fi
      sleep 2
    done
    echo "demo-guest did not finish cloud-init within 30 minutes; see $dir/agent.log and virsh console demo-guest"
  ) &
  watcher_pid=$!
fi
wait -n "$controller_pid" "$agent_pid"
echo "a process exited; see the logs"
exit 1
