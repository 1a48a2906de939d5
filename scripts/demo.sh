#!/usr/bin/env bash
# The main job on one machine: converge this host to the example policies in policies/
# (apply --local), then run a controller (SQLite store in ./.virtfleet/controller) and an
# agent for this host connected to it. Installs and starts what is missing first. Ctrl-C
# stops controller and agent; the guests keep running (remove them with the policies set
# to state: absent, or virsh).
# Environment: VIRTFLEET_LISTEN (default 127.0.0.1:7443), VIRTFLEET_DEMO_DIR (default ./.virtfleet).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

listen=${VIRTFLEET_LISTEN:-127.0.0.1:7443}
dir=${VIRTFLEET_DEMO_DIR:-$PWD/.virtfleet}
mkdir -p "$dir"
cli="node dist/cli/main.js"

echo "Converging this host to the example policies (policies/):"
status=0
$cli apply policies --local || status=$?
if [ "$status" -ne 0 ]; then
  echo "apply --local exited $status; see above. Continuing with the controller and agent."
fi

cleanup() {
  trap - EXIT INT TERM
  [ -n "${agent_pid:-}" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "${controller_pid:-}" ] && kill "$controller_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "stopped; logs are in $dir/*.log, state in $dir"
}
trap cleanup EXIT INT TERM

$cli controller --listen "$listen" --data "$dir/controller" --insecure 2>"$dir/controller.log" >"$dir/controller.out" &
controller_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$dir/controller.out" 2>/dev/null && break
  kill -0 "$controller_pid" 2>/dev/null || { echo "controller failed to start:"; tail -n 20 "$dir/controller.log"; exit 1; }
  sleep 0.1
done
address=$(sed -n 's/.*listening on //p' "$dir/controller.out")

$cli agent --controller "$address" --state-dir "$dir/agent" --insecure 2>"$dir/agent.log" &
agent_pid=$!

cat <<MSG

virtfleet is running (plaintext --insecure mode: local demo only).
  controller  $address   store: $dir/controller/controller.db   log: $dir/controller.log
  agent       $(hostname)   state: $dir/agent   log: $dir/agent.log

Try, in another terminal:
  export VIRTFLEET_CONTROLLER=$address VIRTFLEET_INSECURE=1
  npx virtfleet hosts
  npx virtfleet host $(hostname)
  npx virtfleet hosts --json
  npx virtfleet apply policies --local --dry-run   # 0 changes: the host is converged
  virsh destroy web-01; npx virtfleet apply policies --local --dry-run   # drift, exit 3
  npx virtfleet apply policies --local             # repaired

Ctrl-C stops both.
MSG
wait -n "$controller_pid" "$agent_pid"
echo "a process exited; see the logs"
exit 1
