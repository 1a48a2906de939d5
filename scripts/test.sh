#!/usr/bin/env bash
# The whole test suite: unit, integration (real libvirtd + KVM guests), e2e (real controller
# and agent processes). Installs and starts what is missing first. The three suites run one
# after another (integration kills and restarts libvirtd; nothing else may use it meanwhile).
# Arguments, if any, go to a single vitest run instead (e.g. `npm test -- --project unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

reports=$(mktemp -d /tmp/virtfleet-vitest-XXXXXX)
trap 'rm -rf "$reports"' EXIT
status=0
run() {
  local name=$1; shift
  npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/$name.json" "$@" || status=1
}
if [ $# -gt 0 ]; then
  run custom "$@"
else
  for project in unit integration e2e; do
    echo; echo "--- $project tests"
    run "$project" --project "$project"
  done
fi

# One plain closing line that any CI reader understands.
node -e '
  const fs = require("fs"), path = require("path");
  let passed = 0, failed = 0, skipped = 0, suites = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(path.join(process.argv[1], f), "utf8"));
    // A failed file counts once more only when none of its tests failed (an import error, a
    // failing hook): a failing test is not also counted as its file and its describe block.
    const brokenFiles = (r.testResults || []).filter(
      (t) => t.status === "failed" && !(t.assertionResults || []).some((a) => a.status === "failed"),
    ).length;
    passed += r.numPassedTests; failed += r.numFailedTests + brokenFiles;
    skipped += (r.numPendingTests || 0) + (r.numTodoTests || 0); suites++;
  }
  if (suites === 0) { console.log("0 passed, 1 failed"); process.exit(0); }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$reports"
exit $status
