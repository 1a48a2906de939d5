#!/usr/bin/env bash
# `npm run bench`: every benchmark that fits in about 15 minutes on a 2-core machine, one after
# another (they share the CPU with what they measure: never run two at once). Prints each
# benchmark's table; docs/benchmarks.md holds the published numbers and their commands.
# The 5,000 and 10,000-agent fleet runs and the full agent soak are separate (see the end).
# Needs root, a running libvirtd (scripts/setup-libvirt.sh) and network access for the
# Ansible comparison's packages (bench/ansible/setup.sh installs them; not a project dependency).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run -s build
start=$(date +%s)
section() { echo; echo "=== $* ($(( $(date +%s) - start ))s)"; }

section "libvirt wire client vs virsh"
node dist/bench/libvirt-list.js
section "hardware facts"
node dist/bench/facts.js
section "converge 20 guests (engine) and re-check"
node dist/bench/converge.js --runs 2
section "drift detection latency"
node dist/bench/drift-latency.js --injections 20
section "staged rollout of a no-op revision"
node dist/bench/rollout.js --runs 2
section "controller: 1,000 simulated agents, plaintext and mTLS"
node dist/bench/fleet-matrix.js --sizes 1000 --runs 2
# transport cost per connection (needs the 1,000 identities the mTLS fleet run above caches)
node dist/bench/tls-connection-cost.js --connections 1000 --runs 3
section "virtfleet apply --local vs ansible-playbook (community.libvirt)"
bash bench/ansible/setup.sh
node dist/bench/ansible-vs-apply.js --runs 1
section "agent footprint (short: 1 min idle, 2 min soak, re-check every 60 s instead of 5 min)"
node dist/bench/agent-footprint.js --idle-minutes 1 --soak-minutes 2 --resync-seconds 60 --plans 2

section "done"
cat <<'MSG'
Not run here (each takes longer than this script's budget):
  npm run -s bench:fleet-large      # 5,000 and 10,000 agents, plaintext and mTLS, 2 runs each (~40 min)
  node dist/bench/agent-footprint.js --idle-minutes 10 --soak-minutes 30    # the full agent soak (~45 min)
MSG
