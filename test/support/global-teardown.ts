import { rmSync } from 'node:fs';
import { isAlive } from '../../src/testground/process';

/** Stops the test ground the global setup started, and waits until it is gone. */
export default async function globalTeardown(): Promise<void> {
  const pid = globalThis.testGroundSupervisorPid;
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  if (globalThis.testGroundCoordinatesDir) rmSync(globalThis.testGroundCoordinatesDir, { recursive: true, force: true });
}
