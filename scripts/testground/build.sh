#!/usr/bin/env bash
# Builds the test ground's binaries from the Go module proxy into a cache
# outside the clone. A binary already in the cache is never rebuilt, so a
# second run takes seconds. Usage: build.sh [component...]
# components: kubernetes etcd kwok temporal minio thanos coredns
# local-path-provisioner tools (default: all)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

cache=${THANOS_TESTGROUND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thanos-installer-testground}
bin="$cache/bin"
work="$cache/build"
mkdir -p "$bin" "$work"

export PATH="/usr/local/go/bin:$PATH"
# Builds use exactly the installed Go; a dependency's toolchain line must not
# trigger a toolchain download.
export GOTOOLCHAIN=local
export GOFLAGS=-mod=mod
export CGO_ENABLED=0

log() { printf '[testground build] %s\n' "$*" >&2; }
# The test ground runs this script at every start with TESTGROUND_BUILD_QUIET
# set: then only what gets built is reported.
cached() { [ -n "${TESTGROUND_BUILD_QUIET:-}" ] || log "$1 cached"; }
fail() { log "FAILED: $*"; exit 1; }

# have NAME VERSION: true when the versioned binary is already cached.
have() { [ -x "$bin/$1-$2" ]; }
# publish NAME VERSION FILE: moves a fresh build into the cache atomically and
# points the unversioned name at it.
publish() {
  mv -f "$3" "$bin/$1-$2.tmp" && mv -f "$bin/$1-$2.tmp" "$bin/$1-$2"
  ln -sfn "$1-$2" "$bin/$1"
}

# wrapper_module DIR MODULE_PATH: a scratch module for dependencies whose own
# go.mod carries replace directives, which `go install pkg@version` refuses.
wrapper_module() {
  mkdir -p "$1"
  printf 'module testground/%s\n\ngo 1.26\n' "$2" > "$1/go.mod"
  : > "$1/go.sum"
}

build_kubernetes() {
  local names=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy) missing=0 n
  for n in "${names[@]}"; do have "$n" "$KUBERNETES_VERSION" || missing=1; done
  [ "$missing" = 1 ] || { cached "kubernetes $KUBERNETES_VERSION"; return; }
  log "building kubernetes $KUBERNETES_VERSION (${names[*]})"
  local dir="$work/kubernetes-$KUBERNETES_VERSION" staging_version="v0${KUBERNETES_VERSION#v1}"
  wrapper_module "$dir" kubernetes
  (
    cd "$dir"
    go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
    local modfile
    modfile=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them
    # with local paths; point each at its published release instead.
    local m
    for m in $(sed -n 's/^[[:space:]]*\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0$/\1/p' "$modfile"); do
      go mod edit -replace="$m=$m@$staging_version"
    done
    local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
    local ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    done
    mkdir -p out
    go build -ldflags "$ldflags" -o out/ $(printf 'k8s.io/kubernetes/cmd/%s ' "${names[@]}")
  ) || fail "kubernetes $KUBERNETES_VERSION: go build of the wrapper module in $dir failed (see above)"
  for n in "${names[@]}"; do publish "$n" "$KUBERNETES_VERSION" "$dir/out/$n"; done
}

build_etcd() {
  have etcd "$ETCD_VERSION" && { cached "etcd $ETCD_VERSION"; return; }
  log "building etcd $ETCD_VERSION"
  local dir="$work/etcd-$ETCD_VERSION" m
  wrapper_module "$dir" etcd
  (
    cd "$dir"
    # The server's go.mod replaces its sibling modules with ../ paths.
    for m in server/v3 api/v3 client/pkg/v3 client/v3 pkg/v3; do
      go mod edit -require="go.etcd.io/etcd/$m@$ETCD_VERSION"
    done
    go build -ldflags "-s -w" -o out/etcd go.etcd.io/etcd/server/v3
  ) || fail "etcd $ETCD_VERSION: go build in $dir failed (see above)"
  publish etcd "$ETCD_VERSION" "$dir/out/etcd"
}

# go_install NAME VERSION PACKAGE@VERSION
go_install() {
  have "$1" "$2" && { cached "$1 $2"; return; }
  log "building $1 $2"
  local gobin="$work/gobin-$1-$2"
  mkdir -p "$gobin"
  GOBIN="$gobin" GOFLAGS= go install -ldflags "-s -w" "$3" || fail "$1 $2: go install $3 failed (see above)"
  publish "$1" "$2" "$gobin/$(basename "${3%@*}")"
}

# Thanos as its .promu.yml builds releases: tags netgo and slicelabels (without
# slicelabels, Receive panics on the first remote write) and the version
# variables of prometheus/common. Its go.mod has replace directives, which a
# wrapper module must repeat.
build_thanos() {
  local version="$THANOS_VERSION-${THANOS_REVISION:0:7}"
  have thanos "$version" && { cached "thanos $version"; return; }
  log "building thanos $version"
  local dir="$work/thanos-$THANOS_VERSION"
  wrapper_module "$dir" thanos
  (
    cd "$dir"
    local modfile
    modfile=$(go mod download -json "github.com/thanos-io/thanos@$THANOS_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
    go mod edit -require="github.com/thanos-io/thanos@$THANOS_VERSION"
    sed -n '/^replace (/,/^)/p' "$modfile" >> go.mod
    local v=github.com/prometheus/common/version
    go build -tags netgo,slicelabels \
      -ldflags "-s -w -X $v.Version=${THANOS_VERSION#v} -X $v.Revision=$THANOS_REVISION -X $v.Branch=HEAD -X $v.BuildUser=testground@build -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)" \
      -o out/thanos github.com/thanos-io/thanos/cmd/thanos
  ) || fail "thanos $version: go build of the wrapper module in $dir failed (see above)"
  publish thanos "$version" "$dir/out/thanos"
}

# CoreDNS from the project's own main (scripts/testground/coredns), which links
# only the plugins cluster DNS needs.
build_coredns() {
  have coredns "$COREDNS_VERSION" && { cached "coredns $COREDNS_VERSION"; return; }
  log "building coredns $COREDNS_VERSION"
  local dir="$work/coredns-$COREDNS_VERSION"
  wrapper_module "$dir" coredns
  cp "$here/coredns/main.go" "$dir/"
  (
    cd "$dir"
    go mod edit -require="github.com/coredns/coredns@$COREDNS_VERSION"
    go build -ldflags "-s -w" -o out/coredns .
  ) || fail "coredns $COREDNS_VERSION: go build in $dir failed (see above)"
  publish coredns "$COREDNS_VERSION" "$dir/out/coredns"
}

# The project's own small programs (scripts/testground/tools): the namespace
# forwarder, the pod sandbox's pause, the TKE stand-in and compose-config
# (docker-compose.yml as Docker Compose loads it). Their cache key is a digest
# of their sources.
build_tools() {
  local src="$here/tools" key
  key=$(cd "$src" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
  local names=(forward pause tke-standin compose-config) missing=0 n
  for n in "${names[@]}"; do have "$n" "$key" || missing=1; done
  [ "$missing" = 1 ] || { cached "tools $key"; return; }
  log "building tools $key (${names[*]})"
  (cd "$src" && GOFLAGS=-mod=readonly go build -ldflags "-s -w" -o "$work/tools-$key/" ./cmd/...) \
    || fail "tools: go build in $src failed (see above)"
  for n in "${names[@]}"; do publish "$n" "$key" "$work/tools-$key/$n"; done
}

build_kwok() { go_install kwok "$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"; }
build_temporal() { go_install temporal "$TEMPORAL_CLI_VERSION" "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"; }
build_minio() { go_install minio "$MINIO_VERSION" "github.com/minio/minio@$MINIO_VERSION"; }
build_local-path-provisioner() {
  go_install local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION"
}

command -v go >/dev/null || fail "Go is not installed at /usr/local/go"
components=("$@")
all=(tools temporal kwok etcd minio local-path-provisioner coredns kubernetes thanos)
[ ${#components[@]} -gt 0 ] || components=("${all[@]}")
start=$(date +%s)
for c in "${components[@]}"; do
  case "$c" in
    tools|temporal|kwok|etcd|minio|local-path-provisioner|coredns|kubernetes|thanos) ;;
    *) fail "unknown component '$c' (expected one of: ${all[*]})" ;;
  esac
  began=$(date +%s)
  "build_$c"
  took=$(( $(date +%s) - began ))
  [ "$took" -lt 2 ] || log "$c: ${took}s"
done
[ -n "${TESTGROUND_BUILD_QUIET:-}" ] || log "done in $(( $(date +%s) - start ))s; binaries in $bin"
