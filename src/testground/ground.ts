import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TestGroundCoordinates } from './coordinates';
import { startControlPlane } from './kubernetes';
import { startMinio } from './minio';
import { createBusinessCluster } from './node/business-cluster';
import { cgroupName, sweepStaleCgroups } from './node/cgroups';
import { startForwarder } from './node/forwarder';
import { startJanitor } from './node/janitor';
import { createGroundNamespaces } from './node/namespaces';
import { NODE_IP, REAL_NODE_NAME } from './node/network';
import { joinRealNode, startContainerRuntime } from './node/real-node';
import { buildScript, installChromiumScript, installNodePackagesScript, pinnedVersions } from './paths';
import { isAlive, stopAll, type ManagedProcess } from './process';
import { startTemporal } from './temporal';
import { freePorts } from './ports';
import { codecEndpointOn, startCodecEndpoint } from './codec';

/** Debian's Chromium, which the Web UI test drives. */
export const CHROMIUM = '/usr/bin/chromium';

/** Installs Debian's Chromium if missing: only the Web UI test needs it, so neither the demo nor the ground installs it. */
export async function ensureChromium(): Promise<string> {
  if (!existsSync(CHROMIUM)) await runScript(installChromiumScript, 'installing Chromium');
  return CHROMIUM;
}

/**
 * Builds whatever binary is missing from the cache and installs the real
 * node's Debian packages if missing (each a quick no-op when all is there).
 * Output streams to stderr, so a cold build shows its progress.
 */
export async function ensureBinaries(): Promise<void> {
  await runScript(installNodePackagesScript, "installing the real node's Debian packages");
  await runScript(buildScript, 'building the test ground', { TESTGROUND_BUILD_QUIET: '1' });
}

/**
 * Runs a provisioning script with its output streaming to stderr; on failure
 * the error repeats its last lines, which name what failed.
 */
async function runScript(script: string, what: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const build = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

/**
 * Removes run directories left by supervisors that were killed outright and
 * whose janitor could not finish (it normally removes them).
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
 * Parts started side by side: if any failed, one error that names every
 * failed part with its reason.
 */
function throwIfAnyFailed(parts: [string, PromiseSettledResult<unknown>][]): void {
  const failed = parts.flatMap(([name, r]) => (r.status === 'rejected' ? [`${name}: ${(r.reason as Error).message}`] : []));
  if (failed.length > 0) throw new Error(failed.join('\n\n'));
}

/** The value of a part that throwIfAnyFailed found started. */
function startedValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/**
 * Starts the test ground: in namespaces of its own, the Kubernetes control
 * plane with kwok's fake nodes and a real node, and MinIO; on the host's
 * loopback, Temporal with its Web UI, the codec endpoint and forwarded ports
 * of the API server and MinIO. If any part fails to start, everything is
 * torn down (the logs are kept) and the error names every failed part.
 */
export async function startTestGround(): Promise<RunningTestGround> {
  await ensureBinaries();
  sweepStaleRuns();
  sweepStaleCgroups();
  const runDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir);
  writeFileSync(join(runDir, 'supervisor.pid'), String(process.pid));
  const versions = pinnedVersions();
  const ns = await createGroundNamespaces(runDir, logDir).catch((err: Error) => {
    throw new Error(`the test ground did not start (logs kept in ${logDir}): ${err.message}`);
  });
  const cgroupRoot = cgroupName(process.pid, basename(runDir).slice(RUN_DIR_PREFIX.length));
  const janitor = startJanitor(ns.initPid, cgroupRoot, runDir);
  const hostProcesses: ManagedProcess[] = [];
  const groundProcesses: ManagedProcess[] = [ns.holder];
  let codecServer: { stop(): Promise<void> } | undefined;
  const stop = async (keepLogs = false): Promise<void> => {
    await codecServer?.stop();
    await stopAll(hostProcesses);
    await ns.stop();
    await janitor.finish(keepLogs);
  };

  try {
    const [codecPort, identityPort, apiPort, minioPort, ...temporalPorts] = (await freePorts(8)) as number[];
    const temporalGrpcPort = temporalPorts[0] as number;
    hostProcesses.push(await startForwarder(ns, logDir, { out: [apiPort as number, minioPort as number], in: [temporalGrpcPort] }));
    // The Web UI's codec endpoint (started once the UI's origin is known), so
    // that the UI shows payloads of everything run on the test ground decoded.
    const codecEndpoint = codecEndpointOn(codecPort as number);
    const nodeOptions = { ns, runDir, versions, cgroupRoot };
    const containerRuntime = startContainerRuntime(nodeOptions);
    const controlPlane = startControlPlane(runDir, ns, apiPort as number);
    // Each part's processes are recorded as soon as it is up, so a failure elsewhere stops them too.
    const settled = await Promise.allSettled([
      startTemporal(runDir, { codecEndpoint, ports: temporalPorts as [number, number, number, number] }).then((t) => {
        hostProcesses.push(t.process);
        return t;
      }),
      (async () => {
        const [cpResult, containerdResult] = await Promise.allSettled([controlPlane, containerRuntime]);
        throwIfAnyFailed([['control plane', cpResult], ['containerd', containerdResult]]);
        const cp = startedValue(cpResult);
        const containerd = startedValue(containerdResult);
        groundProcesses.push(...cp.processes, containerd);
        groundProcesses.push(...(await joinRealNode(nodeOptions, { ...cp, server: cp.coordinates.server, kubeconfig: cp.coordinates.kubeconfig })));
        return cp.coordinates;
      })(),
      startMinio(runDir, ns, minioPort as number).then((m) => {
        groundProcesses.push(m.process);
        return m;
      }),
      createBusinessCluster(ns, logDir).then((b) => {
        groundProcesses.push(b.process);
        return b;
      }),
    ]);
    throwIfAnyFailed([
      ['Temporal dev server', settled[0]], ['Kubernetes and its real node', settled[1]], ['MinIO', settled[2]], ['business cluster', settled[3]],
    ]);
    const [temporal, cluster, minio, business] = [startedValue(settled[0]), startedValue(settled[1]), startedValue(settled[2]), startedValue(settled[3])];

    const codec = await startCodecEndpoint(runDir, { codec: codecPort as number, identity: identityPort as number }, temporal.coordinates.uiUrl);
    codecServer = codec;

    const coordinates: TestGroundCoordinates = {
      runDir,
      supervisorPid: process.pid,
      processes: [...hostProcesses, ...groundProcesses].flatMap((p) => (p.pid === undefined ? [] : [{ name: p.name, pid: p.pid }])),
      temporal: temporal.coordinates,
      kubernetes: cluster,
      s3: minio.coordinates,
      codec: codec.coordinates,
      realNode: { name: REAL_NODE_NAME, ip: NODE_IP, netnsPid: ns.initPid, cgroupRoot },
      businessCluster: business.coordinates,
      versions,
    };
    return { coordinates, stop: () => stop() };
  } catch (err) {
    await stop(true);
    throw new Error(`the test ground did not start (logs kept in ${logDir}):\n${(err as Error).message}`);
  }
}

/** Writes the coordinates where tests and the demo read them (mode 0600: it holds keys). */
export function writeCoordinates(file: string, coordinates: TestGroundCoordinates): void {
  writeFileSync(file, JSON.stringify(coordinates, null, 2) + '\n', { mode: 0o600 });
}
