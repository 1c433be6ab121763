import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { TestGroundCoordinates } from './coordinates';
import { startKubernetes, stopAll } from './kubernetes';
import { startMinio } from './minio';
import { binPath, buildScript, installChromiumScript, pinnedVersions } from './paths';
import type { ManagedProcess } from './process';
import { startTemporal } from './temporal';
import { freePorts } from './ports';
import { AesGcmPayloadCodec } from '../codec/codec';
import { buildCodecServer, CODEC_PATH } from '../codec/endpoint';

const REQUIRED_BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok', 'temporal', 'minio'];

/** Debian's Chromium, which the Web UI test drives. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Builds whatever binary is missing from the cache and installs Chromium if
 * missing (a no-op when all are there). Output streams to stderr, so a cold
 * build shows its progress.
 */
export async function ensureBinaries(): Promise<void> {
  const versions = pinnedVersions();
  const versioned: Record<string, string> = {
    etcd: versions.etcd, kwok: versions.kwok, temporal: versions.temporalCli, minio: versions.minio,
  };
  const missing = REQUIRED_BINARIES.filter((name) => !existsSync(binPath(`${name}-${versioned[name] ?? versions.kubernetes}`)));
  if (!existsSync(CHROMIUM)) await runScript(installChromiumScript, 'installing Chromium');
  if (missing.length === 0) return;
  process.stderr.write(`[testground] building ${missing.join(', ')} (cached after the first run)\n`);
  await runScript(buildScript, 'building the test ground');
}

/**
 * Runs a provisioning script with its output streaming to stderr; on failure
 * the error repeats its last lines, which name what failed.
 */
async function runScript(script: string, what: string): Promise<void> {
  const build = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    process.stderr.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  build.stdout.on('data', keep);
  build.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve) => build.on('close', resolve));
  if (code !== 0) {
    throw new Error(`${what} failed (exit ${code}):\n${tail.split('\n').slice(-15).join('\n')}`);
  }
}

const RUN_DIR_PREFIX = 'thanos-testground-';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes run directories left by supervisors that were killed outright (their
 * servers died with them, but SIGKILL leaves no chance to delete files).
 */
function sweepStaleRuns(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(RUN_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    let pid = NaN;
    try {
      pid = Number(readFileSync(join(dir, 'supervisor.pid'), 'utf8'));
    } catch {
      continue; // not a run directory, or one still being set up
    }
    if (!isAlive(pid)) rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunningTestGround {
  coordinates: TestGroundCoordinates;
  stop(): Promise<void>;
}

/**
 * Starts Temporal, Kubernetes (with kwok nodes) and MinIO side by side, each
 * in a fresh directory, and returns their coordinates. If any component fails
 * to start, the others are stopped and the error names every failed component.
 */
export async function startTestGround(): Promise<RunningTestGround> {
  await ensureBinaries();
  sweepStaleRuns();
  const runDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  mkdirSync(join(runDir, 'logs'));
  writeFileSync(join(runDir, 'supervisor.pid'), String(process.pid));
  // The test ground serves the Web UI's codec endpoint itself, with a key of
  // its own, so that the UI shows decrypted payloads of everything run on it.
  const [codecPort] = (await freePorts(1)) as [number];
  const codecKey = randomBytes(32).toString('base64');
  const codecEndpoint = `http://127.0.0.1:${codecPort}${CODEC_PATH}`;
  const [temporal, kubernetes, minio] = await Promise.allSettled([
    startTemporal(runDir, { codecEndpoint }),
    startKubernetes(runDir),
    startMinio(runDir),
  ]);
  const processes: ManagedProcess[] = [];
  if (temporal.status === 'fulfilled') processes.push(temporal.value.process);
  if (kubernetes.status === 'fulfilled') processes.push(...kubernetes.value.processes);
  if (minio.status === 'fulfilled') processes.push(minio.value.process);
  let codecServer: FastifyInstance | undefined;
  const stop = async (): Promise<void> => {
    await codecServer?.close();
    await stopAll(processes);
    rmSync(runDir, { recursive: true, force: true });
  };

  if (temporal.status === 'rejected' || kubernetes.status === 'rejected' || minio.status === 'rejected') {
    const failures = [
      ['Temporal dev server', temporal],
      ['Kubernetes', kubernetes],
      ['MinIO', minio],
    ]
      .filter(([, result]) => (result as PromiseSettledResult<unknown>).status === 'rejected')
      .map(([name, result]) => `${name as string}: ${((result as PromiseRejectedResult).reason as Error).message}`);
    // Keep the logs of a failed start for inspection; stop everything else.
    await stopAll(processes);
    throw new Error(`the test ground did not start (logs kept in ${join(runDir, 'logs')}):\n${failures.join('\n\n')}`);
  }

  try {
    codecServer = await buildCodecServer({
      codec: new AesGcmPayloadCodec({ id: 'default', key: Buffer.from(codecKey, 'base64') }),
      uiOrigins: [temporal.value.coordinates.uiUrl],
    });
    await codecServer.listen({ host: '127.0.0.1', port: codecPort });
  } catch (err) {
    await stop();
    throw new Error(`the codec endpoint did not start on 127.0.0.1:${codecPort}: ${(err as Error).message}`);
  }

  const coordinates: TestGroundCoordinates = {
    runDir,
    supervisorPid: process.pid,
    processes: processes.flatMap((p) => (p.pid === undefined ? [] : [{ name: p.name, pid: p.pid }])),
    temporal: temporal.value.coordinates,
    kubernetes: kubernetes.value.coordinates,
    s3: minio.value.coordinates,
    codec: { endpoint: codecEndpoint, key: codecKey },
    versions: pinnedVersions(),
  };
  return { coordinates, stop };
}

/** Writes the coordinates where tests and the demo read them (mode 0600: it holds keys). */
export function writeCoordinates(file: string, coordinates: TestGroundCoordinates): void {
  writeFileSync(file, JSON.stringify(coordinates, null, 2) + '\n', { mode: 0o600 });
}
