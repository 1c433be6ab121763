import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './cli-support';
import { FIXTURES } from './helpers';

/**
 * `thanos-installer render` output for two request shapes, compared with
 * reviewed golden files. After an intended change, regenerate them with
 * `UPDATE_GOLDEN=1 npx jest --selectProjects unit` and review the diff.
 */
const GOLDEN = join(__dirname, 'golden');

describe.each([
  ["the seed proposal's request", 'seed-request'],
  ['an HA request: VIP, 5 receive replicas, replication factor 3', 'ha-request'],
])('render of %s', (_, name) => {
  it(`matches golden/${name}.yaml`, async () => {
    const run = await runCli(['render', '-f', join(FIXTURES, `${name}.json`)]);
    expect(run.stderr).toBe('');
    const goldenFile = join(GOLDEN, `${name}.yaml`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenFile, run.stdout);
    expect(existsSync(goldenFile)).toBe(true);
    expect(run.stdout).toBe(readFileSync(goldenFile, 'utf8'));
  });
});
