import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { readCoordinates, type TestGroundCoordinates } from '../../src/testground/coordinates';

/** The running test ground's coordinates and a KubeConfig for its cluster. */
export function testGround(): { coordinates: TestGroundCoordinates; kc: k8s.KubeConfig } {
  const coordinates = readCoordinates();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(coordinates.kubernetes.kubeconfig);
  return { coordinates, kc };
}

/** A namespace of its own for one test file, so tests never see each other's objects. */
export async function freshNamespace(kc: k8s.KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/**
 * Another test ground beside the global setup's, supervised by `testground up`
 * in a process of its own (stop it with SIGINT). If it does not start, the
 * error carries the end of what the supervisor wrote, which names the part
 * that failed and why.
 */
export async function startSecondGround(): Promise<{ supervisor: ChildProcess; coordinates: TestGroundCoordinates }> {
  const cli = resolve(__dirname, '..', '..', 'dist', 'testground', 'cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'second-ground-'));
  const file = join(dir, 'coordinates.json');
  const supervisor = spawn(process.execPath, [cli, 'up', '--coordinates', file], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  supervisor.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  supervisor.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const deadline = Date.now() + 120_000;
  while (!existsSync(file)) {
    if (supervisor.exitCode !== null || Date.now() > deadline) {
      const why = supervisor.exitCode !== null ? `its supervisor exited with code ${supervisor.exitCode}` : 'no coordinates within 120 s';
      throw new Error(`second test ground did not start: ${why}; it wrote:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { supervisor, coordinates: readCoordinates(file) };
}
