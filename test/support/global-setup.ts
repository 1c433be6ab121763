/**
 * Starts the real test ground (Temporal dev server, Kubernetes with kwok
 * nodes, MinIO) once for the whole run, in a supervisor process that stops
 * everything when told to, or when this process dies however it dies.
 * A test ground already started by hand (`npm run testground -- up`) is
 * reused when THANOS_TESTGROUND_COORDINATES points at its coordinates.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { COORDINATES_ENV } from '../../src/testground/coordinates';

declare global {
  var testGroundSupervisorPid: number | undefined;
  /** The directory of the coordinates file this run wrote (it holds keys): removed at teardown. */
  var testGroundCoordinatesDir: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env[COORDINATES_ENV]) return;
  globalThis.testGroundCoordinatesDir = mkdtempSync(join(tmpdir(), 'thanos-testground-coordinates-'));
  const file = join(globalThis.testGroundCoordinatesDir, 'coordinates.json');
  const cli = resolve(__dirname, '..', '..', 'dist', 'testground', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  const supervisor = spawn(
    'setpriv',
    ['--pdeathsig', 'TERM', '--', process.execPath, cli, 'up', '--coordinates', file, '--watch-parent', String(process.pid)],
    { stdio: ['ignore', 'ignore', 'inherit'], detached: true },
  );
  let exit: string | undefined;
  supervisor.once('exit', (code, signal) => (exit = signal ? `killed by ${signal}` : `exit code ${code}`));
  while (!existsSync(file)) {
    if (exit !== undefined) {
      throw new Error(`the test ground did not start (${exit}); its error is printed above`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  supervisor.unref();
  globalThis.testGroundSupervisorPid = supervisor.pid;
  process.env[COORDINATES_ENV] = file;
}
