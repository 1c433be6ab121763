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
CHROMIUM_VERSION=156.0.8078.79-1~deb12u1
