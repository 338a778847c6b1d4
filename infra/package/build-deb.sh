#!/usr/bin/env bash
# Builds the qmpipe Debian package: `npm run package [-- --out DIR]` → DIR/qmpipe_<version>_all.deb
# (DIR defaults to .run/package). Prints the path of the .deb on stdout, timings on stderr.
#
# Contents (README "Packages" in infra/README.md):
#   /usr/lib/qmpipe/{package.json, bin/qmpipe.mjs, dist/, schemas/avro/, node_modules/}
#       package.json: node resolves the #common/* imports through it and packageRoot() finds it;
#       schemas/avro/*.avsc are read at run time (schemas/src/codecs/avro.ts).
#       node_modules: production dependencies only (npm ci --omit=dev --ignore-scripts, from
#       the npm cache when it has them), without @duckdb: only `qmpipe demo` loads DuckDB, and
#       the demo needs the repository's infra/ anyway. So nothing native: Architecture all.
#   /usr/bin/qmpipe                      runs /usr/lib/qmpipe/bin/qmpipe.mjs with /usr/bin/node
#   /usr/lib/systemd/system/qmpipe-{agent,processor,alerts-forward}.service  (infra/deploy/systemd)
#   /etc/qmpipe/{agent.json,processor.json,alerts-forward.env}  conffiles: the example configs
#   Depends: nodejs (>= 20.19): Debian 13's nodejs, or NodeSource's on Debian 12 (whose own is 18).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=package

out="$QMPIPE_RUN_DIR/package"
while (($#)); do
  case "$1" in
    --out) out="${2:?--out DIR}"; shift 2 ;;
    *) die "unknown argument '$1' (usage: build-deb.sh [--out DIR])" ;;
  esac
done
command -v dpkg-deb >/dev/null || die "dpkg-deb is not installed"

started="$(now)"
version="$(node -p "require('$QMPIPE_ROOT/package.json').version")"
stage="$(mktemp -d "${TMPDIR:-/tmp}/qmpipe-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
lib="$stage/usr/lib/qmpipe"
mkdir -p "$lib/bin" "$lib/schemas" "$stage/usr/bin" "$stage/usr/lib/systemd/system" "$stage/etc/qmpipe" "$stage/DEBIAN"

t="$(now)"
(cd "$QMPIPE_ROOT" && npx tsc -p tsconfig.build.json --outDir "$lib/dist" --sourceMap false)
rm -rf "$lib/dist/bench"
log "compiled dist/ in $(elapsed "$t") s"

cp "$QMPIPE_ROOT/package.json" "$QMPIPE_ROOT/package-lock.json" "$lib/"
cp "$QMPIPE_ROOT/bin/qmpipe.mjs" "$lib/bin/"
cp -r "$QMPIPE_ROOT/schemas/avro" "$lib/schemas/"

t="$(now)"
(cd "$lib" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
rm -rf "$lib/node_modules/@duckdb" "$lib/package-lock.json" "$lib/node_modules/.package-lock.json"
native="$(find "$lib" -name '*.node' -print -quit)"
[[ -z "$native" ]] || die "a native module would make the package architecture-dependent: $native"
log "production dependencies in $(elapsed "$t") s"

cat >"$stage/usr/bin/qmpipe" <<'WRAPPER'
#!/bin/sh
exec /usr/bin/node /usr/lib/qmpipe/bin/qmpipe.mjs "$@"
WRAPPER
chmod 0755 "$stage/usr/bin/qmpipe"

systemd="$QMPIPE_ROOT/infra/deploy/systemd"
install -m 0644 "$systemd"/qmpipe-{agent,processor,alerts-forward}.service "$stage/usr/lib/systemd/system/"
install -m 0644 "$QMPIPE_ROOT/agent/agent.example.json" "$stage/etc/qmpipe/agent.json"
install -m 0644 "$QMPIPE_ROOT/processor/processor.example.json" "$stage/etc/qmpipe/processor.json"
install -m 0600 "$systemd/qmpipe-alerts-forward.env" "$stage/etc/qmpipe/alerts-forward.env"
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) >"$stage/DEBIAN/conffiles"

install -m 0755 "$QMPIPE_ROOT"/infra/package/debian/{postinst,prerm,postrm} "$stage/DEBIAN/"
size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" "$QMPIPE_ROOT/infra/package/debian/control" >"$stage/DEBIAN/control"

# Files under the lib dir: directories 0755, files 0644 (whatever umask npm had).
find "$stage" -path "$stage/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
find "$lib" -type f -exec chmod 0644 {} +

# xz level 1: 2.4 MB in 2 s; the default level saves 0.7 MB for 20 s more.
mkdir -p "$out"
deb="$out/qmpipe_${version}_all.deb"
dpkg-deb --root-owner-group -Zxz -z1 --build "$stage" "$deb" >&2
log "built $deb ($(du -k "$deb" | cut -f1) KiB, installed $size KiB) in $(elapsed "$started") s"
printf '%s\n' "$deb"
