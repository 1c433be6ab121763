/**
 * Installs that are running, or waiting for the operator, when a new worker
 * rolls out replay the new workflow code over their history. Every history
 * recorded under test/histories (by `npm run record-histories`) must still
 * replay without a nondeterminism error: a change that alters the commands
 * an existing history made goes behind `patched()`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { encryptingDataConverter } from '../../src/codec/data-converter';
import { HISTORIES, recordingKeys } from '../histories/key';

jest.setTimeout(120_000);

try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed by an earlier test file
}

const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();

test('the recorded histories cover success, waiting for the operator, retry, rollback, cancellation, uninstall, reconfiguration and a drift watch', () => {
  for (const scenario of ['install-succeeded', 'install-waiting-after-bucket-failure', 'install-retried', 'install-rolled-back', 'install-cancelled', 'uninstall', 'reconfigure-succeeded', 'reconfigure-rolled-back', 'drift-watch']) {
    expect(files.filter((f) => f.endsWith(`-${scenario}.json`)).length).toBeGreaterThan(0);
  }
});

test('every recorded history replays with today\'s workflow code', async () => {
  const histories = files.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')) as unknown,
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowsPath: require.resolve('../../src/workflows'), dataConverter: encryptingDataConverter(recordingKeys()) },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(histories.length).toBe(files.length);
});
