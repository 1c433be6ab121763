#!/usr/bin/env bash
# The test ground's janitor. It runs detached from the supervisor, with a pipe
# from the supervisor as its stdin. When the pipe closes, however the
# supervisor ended (stopped, crashed, SIGKILL), it waits until the ground's
# namespaces are gone, then removes what the kernel does not remove by itself:
# the kubelet's cgroups and the run directory. If the supervisor wrote
# "keep-run-dir" into the pipe (a failed start, kept for its logs), the run
# directory stays.
# Usage: janitor.sh INIT_PID CGROUP_NAME RUN_DIR
set -u
init_pid=$1 cgroup=$2 run_dir=$3
said=$(cat)

# The init dies with its holder (unshare, under the supervisor's death
# signal); kill it anyway in case the supervisor never got that far.
[ "$(cat "/proc/$init_pid/comm" 2>/dev/null)" = tini ] && kill -KILL "$init_pid" 2>/dev/null
for _ in $(seq 300); do
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$init_pid/status" 2>/dev/null)
  [ -z "$state" ] || [ "$state" = Z ] && break
  sleep 0.1
done

# Empty cgroups can be removed only deepest first, and only once their last
# process has gone: retry for a while.
for _ in $(seq 50); do
  left=0
  for hierarchy in /sys/fs/cgroup/*/; do
    [ -d "$hierarchy$cgroup" ] || continue
    find "$hierarchy$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$hierarchy$cgroup" ] && left=1
  done
  [ "$left" = 0 ] && break
  sleep 0.2
done

case "$said" in *keep-run-dir*) ;; *) rm -rf "$run_dir" ;; esac
