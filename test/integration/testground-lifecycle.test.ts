/**
 * The test ground leaves nothing behind: stopped politely or killed outright,
 * its processes end with it, and the host's network devices, addresses,
 * routes, iptables rules, mounts, cgroups and kernel settings are as they were
 * before it started. Each test starts a second test ground beside the one the
 * global setup started, which also shows that two can coexist.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { TestGroundCoordinates } from '../../src/testground/coordinates';
import { isAlive } from '../../src/testground/process';
import { eventually } from '../support/eventually';
import { hostState, namespacesOf, processesIn } from '../support/host-state';
import { startSecondGround, testGround } from '../support/testground';

jest.setTimeout(180_000);

const cli = resolve(__dirname, '..', '..', 'dist', 'testground', 'cli.js');

/** Every server a test ground runs, by name. */
const SERVERS = [
  'business-cluster', 'containerd', 'etcd', 'forward', 'ground-init', 'kube-apiserver', 'kube-controller-manager',
  'kube-proxy', 'kube-scheduler', 'kubelet', 'kwok', 'local-path-provisioner', 'minio', 'temporal',
];

/** The test ground lists every one of its servers, and each is running: what "nothing left" is then checked against. */
function expectEveryServerRunning(c: TestGroundCoordinates): void {
  expect(c.processes.map((p) => p.name).sort()).toEqual(SERVERS);
  const pids = c.processes.map((p) => p.pid);
  expect(pids.filter(isAlive)).toEqual(pids);
}

/** The namespaces of a running test ground: its own PID, network and mount namespaces, and the business cluster's network. */
function groundNamespaces(c: TestGroundCoordinates): string[] {
  return [...namespacesOf(c.realNode.netnsPid), ...namespacesOf(c.businessCluster.netnsPid, ['net'])];
}

/** `pid (command, state)`, to say what is left. */
function describeProcess(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid} (${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}, ${stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)})`;
  } catch {
    return String(pid);
  }
}

/** Waits until nothing of the stopped test ground is left: no process, no namespace, no run directory. */
async function expectNothingLeft(c: TestGroundCoordinates, namespaces: string[], before: Awaited<ReturnType<typeof hostState>>): Promise<void> {
  const pids = c.processes.map((p) => p.pid);
  await eventually('every process and namespace of the test ground was gone', async () => {
    const left = [...new Set([...pids.filter(isAlive), ...processesIn(namespaces)])];
    if (left.length > 0) throw new Error(`still running: ${left.map(describeProcess).join(', ')}`);
    return true;
  }, 20_000);
  // The janitor removes the cgroups and the run directory once the namespaces are gone.
  const after = await eventually('the host was as before', async () => {
    const state = await hostState();
    return JSON.stringify(state) === JSON.stringify(before) && !existsSync(c.runDir) ? state : undefined;
  }, 10_000).catch(async () => hostState());
  expect(after).toEqual(before);
  expect(existsSync(c.runDir)).toBe(false);
}

test('a second test ground runs beside the first, with a real node and namespaces of its own, on other ports', async () => {
  const first = testGround().coordinates;
  const { supervisor, coordinates: second } = await startSecondGround();
  try {
    expect(second.temporal.address).not.toBe(first.temporal.address);
    expect(second.kubernetes.server).not.toBe(first.kubernetes.server);
    expect(second.s3.endpoint).not.toBe(first.s3.endpoint);
    for (const address of [second.temporal.address, second.kubernetes.server, second.s3.endpoint, second.temporal.uiUrl]) {
      expect(address).toMatch(/^(https?:\/\/)?127\.0\.0\.1:\d+$/);
    }
    expectEveryServerRunning(second);
    // Both have a real node at the same address, each in a network namespace of its own.
    expect(second.realNode.ip).toBe(first.realNode.ip);
    expect(groundNamespaces(second)).not.toEqual(groundNamespaces(first));
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(second.kubernetes.kubeconfig);
    const node = await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: second.realNode.name });
    expect(node.status?.conditions?.find((cond) => cond.type === 'Ready')?.status).toBe('True');
  } finally {
    const exited = new Promise((r) => supervisor.once('exit', r));
    supervisor.kill('SIGINT');
    await exited;
  }
});

test('Ctrl-C stops every process, and the host is as it was before the test ground started', async () => {
  const before = await hostState();
  const { supervisor, coordinates } = await startSecondGround();
  const namespaces = groundNamespaces(coordinates);
  expectEveryServerRunning(coordinates);
  expect((await hostState()).cgroups).toEqual(expect.arrayContaining([`cpu/${coordinates.realNode.cgroupRoot}`]));
  const exited = new Promise<number | null>((r) => supervisor.once('exit', (code) => r(code)));
  supervisor.kill('SIGINT');
  expect(await exited).toBe(0);
  await expectNothingLeft(coordinates, namespaces, before);
});

test('killed outright (SIGKILL), the test ground still leaves nothing behind', async () => {
  const before = await hostState();
  const { supervisor, coordinates } = await startSecondGround();
  const namespaces = groundNamespaces(coordinates);
  expectEveryServerRunning(coordinates);
  expect(processesIn(namespaces).length).toBeGreaterThan(10);
  supervisor.kill('SIGKILL');
  await expectNothingLeft(coordinates, namespaces, before);
});

test('a part that fails to start stops the run, naming the part and its reason, and tears down everything else', async () => {
  const before = await hostState();
  // A containerd that cannot start, found first on the PATH.
  const bin = mkdtempSync(join(tmpdir(), 'broken-containerd-'));
  writeFileSync(join(bin, 'containerd'), '#!/bin/sh\necho "containerd: failed to load the CRI plugin (broken on purpose)" >&2\nexit 1\n', { mode: 0o755 });
  const supervisor = spawn(process.execPath, [cli, 'up', '--coordinates', join(bin, 'coordinates.json')], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  supervisor.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((r) => supervisor.once('exit', r));
  expect(code).toBe(1);
  expect(stderr).toMatch(/containerd: containerd exited with code 1 before it answered on its socket/);
  expect(stderr).toContain('broken on purpose');
  expect(existsSync(join(bin, 'coordinates.json'))).toBe(false);
  // Everything else that had started is gone; the logs stay for the operator.
  const runDir = /logs kept in (\S+)\/logs/.exec(stderr)?.[1] as string;
  expect(existsSync(join(runDir, 'logs', 'containerd.log'))).toBe(true);
  const leftovers = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(runDir);
    } catch {
      return false;
    }
  });
  expect(leftovers).toEqual([]);
  expect(await hostState()).toEqual(before);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
});
