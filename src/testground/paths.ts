import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The project's root: the nearest folder above this file with the scripts (from src/ or any dist/). */
function findProjectRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'testground', 'versions.sh'))) return dir;
  }
  throw new Error(`cannot find the project root above ${__dirname}`);
}

export const projectRoot = findProjectRoot();

export const buildScript = join(projectRoot, 'scripts', 'testground', 'build.sh');
export const installChromiumScript = join(projectRoot, 'scripts', 'testground', 'install-chromium.sh');
export const installNodePackagesScript = join(projectRoot, 'scripts', 'testground', 'install-node-packages.sh');
export const janitorScript = join(projectRoot, 'scripts', 'testground', 'janitor.sh');
const versionsFile = join(projectRoot, 'scripts', 'testground', 'versions.sh');

/** Where built binaries live, outside the clone so a fresh clone reuses them. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return process.env.THANOS_TESTGROUND_CACHE || join(base, 'thanos-installer-testground');
}

export function binPath(name: string): string {
  return join(cacheDir(), 'bin', name);
}

/** A file of a Debian package that install-node-packages.sh unpacked into the cache. */
export function debPath(pkg: string, file: string): string {
  return join(cacheDir(), 'debs', pkg, file);
}

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  temporalCli: string;
  minio: string;
  thanos: string;
  coredns: string;
  localPathProvisioner: string;
  busyboxDeb: string;
  prometheusDeb: string;
}

/** The pinned versions, read from the one file the build script also sources. */
export function pinnedVersions(): PinnedVersions {
  const vars = new Map<string, string>();
  for (const line of readFileSync(versionsFile, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m?.[1] && m[2]) vars.set(m[1], m[2]);
  }
  const get = (key: string): string => {
    const value = vars.get(key);
    if (!value) throw new Error(`${versionsFile} does not set ${key}`);
    return value;
  };
  return {
    kubernetes: get('KUBERNETES_VERSION'),
    etcd: get('ETCD_VERSION'),
    kwok: get('KWOK_VERSION'),
    temporalCli: get('TEMPORAL_CLI_VERSION'),
    minio: get('MINIO_VERSION'),
    thanos: get('THANOS_VERSION'),
    coredns: get('COREDNS_VERSION'),
    localPathProvisioner: get('LOCAL_PATH_PROVISIONER_VERSION'),
    busyboxDeb: get('BUSYBOX_DEB_VERSION'),
    prometheusDeb: get('PROMETHEUS_DEB_VERSION'),
  };
}
