#!/usr/bin/env bash
# Installs what a fresh machine is missing, and nothing it already has:
#   deps.sh [apt] [node] [jars] [guest] [libvirt] [exporter]  (no argument = the first four, in that order)
#   apt    Debian packages (only as root, only those missing): QEMU, qemu-img, the kernel and
#          busybox-static for the test guest, a JDK and Maven for the Java servers,
#          Alertmanager for `qmpipe alerts forward` tests (infra/alertmanager), Prometheus (and its
#          promtool) for the remote-write and dashboard tests (infra/prometheus), tmux for the
#          `qmpipe top` live-screen test, openssl for the
#          test broker's throwaway certificates (infra/kafka/start.sh).
#   node   `npm ci --ignore-scripts` when node_modules is missing or older than package-lock.json
#          (no fallback: the lock lists every platform's optional packages, so npm ci accepts it)
#          (the build is a separate stage of infra/test.sh).
#   jars   Kafka and S3Proxy from Maven Central into $QMPIPE_CACHE/{kafka,s3proxy}/lib,
#          re-fetched only when their pom.xml changes.
#   guest  builds the test guest (infra/qemu/build-guest.sh).
#   libvirt  libvirtd, virtlogd and the QEMU driver (for infra/libvirt/start.sh), without
#          libvirt-daemon-system, whose systemd units and default network are not wanted here.
#   exporter  Debian's prometheus-libvirt-exporter (the peer of `npm run bench -- fleet-cost`,
#          started by infra/exporter/start.sh), with the libvirt step's packages; its package
#          scripts are kept from starting the system service (policy-rc.d), which nothing here uses.
# Source it to get the ensure_* functions without running anything.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APT_PACKAGES=(qemu-system-x86 qemu-utils linux-image-amd64 busybox-static util-linux openjdk-17-jre-headless maven prometheus-alertmanager
  prometheus tmux libvirt-clients libxml2-utils systemd openssl)
# A package counts as present when its command is there (a JDK or Maven may be installed
# without Debian's package, e.g. Temurin or a tarball).
declare -A APT_PROVIDES=([qemu-system-x86]=qemu-system-x86_64 [qemu-utils]=qemu-img [util-linux]=losetup
  [openjdk-17-jre-headless]=java [maven]=mvn [prometheus-alertmanager]=prometheus-alertmanager [prometheus]=promtool [tmux]=tmux
  [libvirt-clients]=virt-xml-validate [libvirt-daemon]=libvirtd [prometheus-libvirt-exporter]=prometheus-libvirt-exporter [libxml2-utils]=xmllint [systemd]=systemd-analyze [openssl]=openssl)

ensure_apt() {
  local QMPIPE_COMPONENT=deps p cmd
  local -a missing=()
  for p in "${APT_PACKAGES[@]}"; do
    cmd="${APT_PROVIDES[$p]:-}"
    if [[ -n "$cmd" ]]; then command -v "$cmd" >/dev/null && continue
    else dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && continue
    fi
    missing+=("$p")
  done
  ((${#missing[@]})) || { log "Debian packages present"; return 0; }
  if [[ "$(id -u)" != 0 ]]; then
    log "missing Debian packages (not root, so not installing): ${missing[*]}"
    return 0
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$QMPIPE_CACHE/apt.log" 2>&1 ||
    die "apt-get install failed; see $QMPIPE_CACHE/apt.log"
}

ensure_node() {
  local QMPIPE_COMPONENT=deps
  if [[ -f "$QMPIPE_ROOT/node_modules/.package-lock.json" &&
    ! "$QMPIPE_ROOT/package-lock.json" -nt "$QMPIPE_ROOT/node_modules/.package-lock.json" ]]; then
    log "node_modules up to date"
    return 0
  fi
  log "npm ci"
  local out="$QMPIPE_CACHE/npm-ci.log"
  (cd "$QMPIPE_ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$out" 2>&1 || {
    cat "$out" >&2
    die "npm ci failed (see $out); package-lock.json must list every platform's optional packages: npm install --package-lock-only"
  }
}

# fetch_jars NAME POM LIBDIR: mvn copy-dependencies when LIBDIR is empty or the pom changed.
fetch_jars() {
  local QMPIPE_COMPONENT=deps name="$1" pom="$2" lib="$3" stamp
  stamp="$lib/.pom-$(sha256sum "$pom" | cut -c1-12)"
  [[ -f "$stamp" ]] && { log "$name jars cached ($(du -sh "$lib" | cut -f1))"; return 0; }
  command -v mvn >/dev/null || die "mvn not found (install maven)"
  rm -rf "$lib" && mkdir -p "$lib"
  log "fetching $name jars from Maven Central"
  mvn -B -q -f "$pom" -Dqmpipe.lib="$lib" package >"$QMPIPE_CACHE/mvn-$name.log" 2>&1 ||
    die "mvn failed for $name; see $QMPIPE_CACHE/mvn-$name.log"
  touch "$stamp"
  log "$name: $(find "$lib" -name '*.jar' | wc -l) jars, $(du -sh "$lib" | cut -f1)"
}

ensure_jars() {
  mkdir -p "$QMPIPE_CACHE"
  fetch_jars kafka "$QMPIPE_ROOT/infra/kafka/pom.xml" "$KAFKA_LIB"
  fetch_jars s3proxy "$QMPIPE_ROOT/infra/s3/pom.xml" "$S3PROXY_LIB"
}

ensure_guest() { bash "$QMPIPE_ROOT/infra/qemu/build-guest.sh" >/dev/null; }

# The same missing-only install as ensure_apt, for the libvirt packages (bash's dynamic
# scoping lets the local list stand in for APT_PACKAGES).
ensure_libvirt() {
  local -a APT_PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils util-linux)
  ensure_apt
}

# The exporter's package would start its init script on install (invoke-rc.d): a
# policy-rc.d that refuses (exit 101, as Debian's container images ship) holds it back; one
# is written only for the install when the machine has none, and removed after.
ensure_exporter() {
  ensure_libvirt
  local -a APT_PACKAGES=(prometheus-libvirt-exporter)
  local policy=/usr/sbin/policy-rc.d own=0
  if [[ "$(id -u)" == 0 && ! -e "$policy" ]] && ! command -v prometheus-libvirt-exporter >/dev/null; then
    printf '#!/bin/sh\n# written by qmpipe infra/deps.sh for one install; removed after\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own=1
  fi
  local rc=0
  ensure_apt || rc=$?
  ((own)) && rm -f "$policy"
  return "$rc"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  mkdir -p "$QMPIPE_CACHE"
  steps=("$@")
  ((${#steps[@]})) || steps=(apt node jars guest)
  for step in "${steps[@]}"; do
    case "$step" in
      apt) ensure_apt ;;
      node) ensure_node ;;
      jars) ensure_jars ;;
      guest) ensure_guest ;;
      libvirt) ensure_libvirt ;;
      exporter) ensure_exporter ;;
      *) die "unknown step $step (apt node jars guest libvirt exporter)" ;;
    esac
  done
fi
