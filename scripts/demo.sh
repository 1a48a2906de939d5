#!/usr/bin/env bash
# The main job on one machine: a controller (SQLite store in ./.virtfleet/controller) that
# loads and watches the example policies in policies/, and an agent for this host that
# converges them and keeps them enforced. Installs and starts what is missing first. Ctrl-C
# stops controller and agent; the guests keep running (remove them by setting the
# policies' resources to state: absent, or with virsh).
# Secure by default: the controller creates its CA in $dir/controller/pki and an admin
# credential in $dir/controller/admin (the CLI's, via VIRTFLEET_DATA); the agent enrols with a
# one-time token made here and keeps its certificate in $dir/agent/tls.
# Environment: VIRTFLEET_LISTEN (default 127.0.0.1:7443), VIRTFLEET_DEMO_DIR (default ./.virtfleet).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

listen=${VIRTFLEET_LISTEN:-127.0.0.1:7443}
dir=${VIRTFLEET_DEMO_DIR:-$PWD/.virtfleet}
mkdir -p "$dir"
cli="node dist/bin/virtfleet.js"


cleanup() {
  trap - EXIT INT TERM
  [ -n "${agent_pid:-}" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "${controller_pid:-}" ] && kill "$controller_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "stopped; logs are in $dir/*.log, state in $dir"
}
trap cleanup EXIT INT TERM

$cli controller --listen "$listen" --data "$dir/controller" --policies "$PWD/policies" 2>"$dir/controller.log" >"$dir/controller.out" &
controller_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$dir/controller.out" 2>/dev/null && break
  kill -0 "$controller_pid" 2>/dev/null || { echo "controller failed to start:"; tail -n 20 "$dir/controller.log"; exit 1; }
  sleep 0.1
done
address=$(sed -n 's/.*listening on //p' "$dir/controller.out")

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
this host to policies/ (a NAT network, a storage pool, guests web-01 and db-01); edit a file
there and the controller rolls the change to the agent.
  controller  $address   store: $dir/controller/controller.db   CA: $dir/controller/pki   log: $dir/controller.log
  agent       $(hostname)   state: $dir/agent (certificate in tls/)   log: $dir/agent.log

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
wait -n "$controller_pid" "$agent_pid"
echo "a process exited; see the logs"
exit 1
