/**
 * The test ground leaves nothing behind: stopped politely or killed outright,
 * its servers end with it. Each test starts a second test ground beside the
 * one the global setup started, which also shows that two can coexist.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCoordinates, type TestGroundCoordinates } from '../../src/testground/coordinates';
import { isAlive } from '../../src/testground/process';
import { testGround } from '../support/testground';

jest.setTimeout(120_000);

const cli = resolve(__dirname, '..', '..', 'dist', 'testground', 'cli.js');

async function startSecondGround(): Promise<{ supervisor: ChildProcess; coordinates: TestGroundCoordinates }> {
  const file = join(mkdtempSync(join(tmpdir(), 'lifecycle-')), 'coordinates.json');
  const supervisor = spawn(process.execPath, [cli, 'up', '--coordinates', file], { stdio: 'ignore', detached: true });
  const deadline = Date.now() + 90_000;
  while (!existsSync(file)) {
    if (supervisor.exitCode !== null || Date.now() > deadline) throw new Error('second test ground did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { supervisor, coordinates: readCoordinates(file) };
}

async function allGone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    alive = pids.filter(isAlive);
  }
  return alive;
}

test('a second test ground runs beside the first on other ports', async () => {
  const first = testGround().coordinates;
  const { supervisor, coordinates: second } = await startSecondGround();
  try {
    expect(second.temporal.address).not.toBe(first.temporal.address);
    expect(second.kubernetes.server).not.toBe(first.kubernetes.server);
    expect(second.s3.endpoint).not.toBe(first.s3.endpoint);
    for (const address of [second.temporal.address, second.kubernetes.server, second.s3.endpoint, second.temporal.uiUrl]) {
      expect(address).toMatch(/^(https?:\/\/)?127\.0\.0\.1:\d+$/);
    }
    expect(second.processes.map((p) => p.name).sort()).toEqual(
      ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'minio', 'temporal'],
    );
  } finally {
    supervisor.kill('SIGINT');
  }
});

test('Ctrl-C stops every server and removes the run directory', async () => {
  const { supervisor, coordinates } = await startSecondGround();
  const pids = coordinates.processes.map((p) => p.pid);
  expect(pids.filter(isAlive)).toEqual(pids);
  const exited = new Promise<number | null>((r) => supervisor.once('exit', (code) => r(code)));
  supervisor.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(await allGone(pids, 5_000)).toEqual([]);
  expect(existsSync(coordinates.runDir)).toBe(false);
});

test('killing the supervisor outright (SIGKILL) still leaves no server behind', async () => {
  const { supervisor, coordinates } = await startSecondGround();
  const pids = coordinates.processes.map((p) => p.pid);
  supervisor.kill('SIGKILL');
  expect(await allGone(pids, 5_000)).toEqual([]);
});
