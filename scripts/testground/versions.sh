# Pinned versions of every binary the local test ground builds. Changing one
# changes the cache key, so the next run rebuilds only that component.
# Sourced by build.sh; read by src/testground for the coordinates file.
KUBERNETES_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
TEMPORAL_CLI_VERSION=v1.5.1
# MinIO publishes no semver tags to the module proxy; this pseudo-version is
# the upstream commit of 2026-02-12.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# Debian's Chromium for the Web UI test (playwright-core drives it). Debian's
# security archive replaces old builds; if this one is gone, the newest
# bookworm build is installed instead and the script says so.
CHROMIUM_VERSION=156.0.8078.114-1~deb12u1
# The real node. kubelet and kube-proxy come from the Kubernetes build above.
THANOS_VERSION=v0.42.4
# The upstream commit of that tag, for the binary's version information (the
# module proxy does not carry it).
THANOS_REVISION=45c4f39487e1653e606307d3952a6259fb96acae
COREDNS_VERSION=v1.14.7
LOCAL_PATH_PROVISIONER_VERSION=v0.0.30
# Debian bookworm packages: installed (as root) when missing.
CONTAINERD_DEB_VERSION=1.6.20~ds1-1+deb12u3
RUNC_DEB_VERSION=1.1.5+ds1-1+deb12u1
CNI_PLUGINS_DEB_VERSION=1.1.1+ds1-3+b5
IPTABLES_DEB_VERSION=1.8.9-2
TINI_DEB_VERSION=0.19.0-1+b3
# Debian packages whose files are only extracted into the cache (never
# installed): busybox for the images, Prometheus as a business cluster's agent.
BUSYBOX_DEB_VERSION=1:1.35.0-4+deb12u1+b1
PROMETHEUS_DEB_VERSION=2.42.0+ds-5+deb12u1
