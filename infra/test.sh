#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, type-checks, lints and runs all tests (vitest
# projects `unit` and `integration`; the latter starts Kafka, S3Proxy and test VMs itself).
# Prints the time of each stage. Extra arguments go to `vitest run`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
QMPIPE_COMPONENT=test
cd "$QMPIPE_ROOT"

declare -a STAGES=()
T_ALL="$(now)"
stage() {
  local name="$1" t rc=0
  shift
  printf '\n==> %s\n' "$name" >&2
  t="$(now)"
  "$@" || rc=$?
  STAGES+=("$(printf '%-10s %6ss %s' "$name" "$(elapsed "$t")" "$( ((rc)) && echo FAILED || echo ok)")")
  if ((rc)); then
    summary
    die "stage '$name' failed (exit $rc)"
  fi
}
summary() {
  printf '\n==> stage times\n' >&2
  printf '    %s\n' "${STAGES[@]}" >&2
  printf '    %-10s %6ss\n' total "$(elapsed "$T_ALL")" >&2
}

# If vitest is killed before its teardown runs, stop what the integration setup started:
# only pids recorded under .run/it/<vitest pid>/, and only for vitest processes that are gone.
cleanup_it() {
  local run v
  for run in "${QMPIPE_IT_RUN_DIR:-$QMPIPE_RUN_DIR/it}"/*/; do
    [[ "$(basename "$run")" =~ ^[0-9]+$ ]] || continue
    kill -0 "$(basename "$run")" 2>/dev/null && continue
    for v in "$run"vm/*/; do
      [[ -f "${v}vm.env" ]] && QMPIPE_RUN_DIR="${run%/}" bash infra/qemu/stop-vm.sh "$(basename "$v")" || true
    done
    [[ -f "${run}stack.env" ]] && QMPIPE_RUN_DIR="${run%/}" bash infra/stack-down.sh || true
  done
}
trap cleanup_it EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stage deps bash infra/deps.sh apt node jars guest libvirt
stage build npm run --silent build
stage typecheck npx tsc -p tsconfig.json --noEmit
stage lint npx biome check .
stage vitest npx vitest run "$@"
summary
