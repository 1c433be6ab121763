/**
 * The retention the validator accepts is the retention Thanos Compact starts
 * with: for each request, the validator's verdict against the real Thanos
 * v0.42.4 run with exactly the rendered Compact arguments (one compaction
 * pass over an empty FILESYSTEM bucket, in a network namespace of its own).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderThanosObjects } from '../../src/render/thanos';
import { validateInstallRequest } from '../../src/request/validate';
import { binPath } from '../../src/testground/paths';
import { requestFixture } from '../unit/helpers';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'compact-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs Compact once with the rendered retention flags; resolves to its refusal, or undefined if it ran. */
async function compactRefusal(retentionArgs: string[], name: string): Promise<string | undefined> {
  const args = [
    '--net', '--', binPath('thanos'), 'compact', ...retentionArgs,
    `--objstore.config=${JSON.stringify({ type: 'FILESYSTEM', config: { directory: join(dir, name, 'bucket') } })}`,
    `--data-dir=${join(dir, name, 'data')}`,
  ];
  try {
    await run('unshare', args, { timeout: 30_000 });
    return undefined;
  } catch (err) {
    const output = `${(err as { stderr?: string }).stderr ?? ''}`;
    return /level=error err="([^"\\]*)/.exec(output)?.[1] ?? output.slice(-300);
  }
}

test.each([
  ['the defaults', undefined],
  ['raw 40h, the least Compact takes', { raw: '40h' }],
  ['raw kept forever', { raw: '0' }],
  ['5m 10d, the least Compact takes', { raw: '2d', fiveMinutes: '10d' }],
  ['raw 39h', { raw: '39h' }],
  ['5m 9d', { fiveMinutes: '9d' }],
])('%s: the validator and Compact agree', async (name, retention) => {
  const request = requestFixture();
  const thanos = (request.config as { monitor: { thanos: Record<string, unknown> } }).monitor.thanos;
  if (retention) thanos.retention = retention;
  const validated = validateInstallRequest(request);
  // A refused request still tells what Compact would have been given.
  const flags = validated.ok
    ? (renderThanosObjects(validated.settings).find((o) => o.metadata?.name === 'thanos-compact' && o.kind === 'StatefulSet') as {
        spec: { template: { spec: { containers: { args: string[] }[] } } };
      }).spec.template.spec.containers[0]!.args.filter((a) => a.startsWith('--retention.'))
    : Object.entries({ raw: 'raw', fiveMinutes: '5m', oneHour: '1h' }).flatMap(([field, flag]) =>
        (retention as Record<string, string>)[field] ? [`--retention.resolution-${flag}=${(retention as Record<string, string>)[field]}`] : []);
  const refusal = await compactRefusal(flags, name.replace(/\W+/g, '-'));
  // Compact starts exactly when the validator accepts; when both refuse, Compact names the resolution.
  expect({ validatorAccepts: validated.ok, compactRefusal: refusal }).toEqual(
    validated.ok ? { validatorAccepts: true, compactRefusal: undefined } : { validatorAccepts: false, compactRefusal: expect.stringMatching(/resolution .*must be higher/) },
  );
});
