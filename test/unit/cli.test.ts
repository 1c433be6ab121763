import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { runCli } from './cli-support';
import { FIXTURES, fixtureText, patched } from './helpers';

const seedFile = join(FIXTURES, 'seed-request.json');

describe('thanos-installer validate', () => {
  it('exits 0 for a valid request and says what it would install', async () => {
    const run = await runCli(['validate', '-f', seedFile]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')[0]).toBe('valid: Thanos quay.io/thanos/thanos:v0.42.4, objstore S3, GLOBAL_NODE_IP 127.0.1.1');
  });

  it('tells before installing that a third-party load balancer must forward the NodePorts', async () => {
    const request = patched({ 'config.ha': { thirdParty: { vip: '127.0.2.20' } } });
    const run = await runCli(['validate', '-f', '-'], JSON.stringify(request));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/GLOBAL_NODE_IP 127\.0\.2\.20\n.*\n {2}The load balancer must forward TCP ports 31139, 31140, 31141/);
  });

  it('exits 1 and prints every error as "path: message", one per line', async () => {
    const request = patched({
      'cluster.spec.machines.0.ip': 'first-node',
      'config.monitor.thanos.bucketConfig.config.endpoint': 'http://minio:9000',
      'config.monitor.thanos.receiveReplicationFactor': 2,
    });
    const run = await runCli(['validate', '-f', '-'], JSON.stringify(request));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      "cluster.spec.machines[0].ip: must be an IPv4 address, got 'first-node'",
      "config.monitor.thanos.bucketConfig.config.endpoint: must be host[:port] without scheme or path, got 'http://minio:9000'",
      expect.stringMatching(/^config\.monitor\.thanos\.receiveReplicationFactor: must not exceed/),
      'stdin: 3 problems found',
      '',
    ]);
  });

  it('exits 1 for a file that is not JSON', async () => {
    const run = await runCli(['validate', '-f', '-'], '{"cluster": ');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^stdin: not valid JSON: /);
  });

  it('exits 2 for a file it cannot read, or a missing -f', async () => {
    const missing = await runCli(['validate', '-f', join(FIXTURES, 'no-such-request.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot read .*no-such-request\.json: ENOENT/);

    const usage = await runCli(['validate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '-f, --file <path>' not specified/);
  });

  it('exits 2 for an unknown command, and 0 for --help', async () => {
    expect((await runCli(['install-everything'])).code).toBe(2);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/validate \[options\]/);
    expect(help.stdout).toMatch(/render \[options\]/);
  });
});

describe('thanos-installer render', () => {
  it('prints every object and TKE config change as YAML documents', async () => {
    const run = await runCli(['render', '-f', seedFile]);
    expect(run.code).toBe(0);
    const documents = loadAll(run.stdout) as Record<string, unknown>[];
    const objects = documents.filter((document) => document.kind !== undefined);
    const edits = documents.filter((document) => document.configMap !== undefined);
    expect(objects).toHaveLength(19);
    expect(edits.map((edit) => `${edit.configMap}/${edit.key}`)).toEqual([
      'tke-monitor-api/tke-monitor-config.yaml',
      'tke-monitor-controller/tke-monitor-config.yaml',
      'tke-monitor-controller/tke-monitor-controller.toml',
      'tke-platform-controller/tke-platform-controller.toml',
    ]);
  });

  it('masks bucket credentials unless --show-secrets is given', async () => {
    const masked = await runCli(['render', '-f', seedFile]);
    expect(masked.stdout).not.toContain('thanossecretkey123');
    expect(masked.stdout).toContain("secret_key: '******'");
    expect(masked.stdout).toContain('access_key: thanosaccess');

    const shown = await runCli(['render', '-f', seedFile, '--show-secrets']);
    expect(shown.stdout).toContain('secret_key: thanossecretkey123');
    expect(shown.stdout).not.toContain('Credentials are masked');
  });

  it("never prints the request's own passwords", async () => {
    const run = await runCli(['render', '-f', seedFile, '--show-secrets']);
    const request = JSON.parse(fixtureText('seed-request.json'));
    expect(run.stdout).not.toContain(request.cluster.spec.machines[0].password);
    expect(run.stdout).not.toContain(request.config.basic.password);
  });

  it('prints nothing on stdout for an invalid request, and exits 1', async () => {
    const run = await runCli(['render', '-f', '-'], JSON.stringify(patched({ 'config.monitor.es': {} })));
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'config.monitor: must choose exactly one backend, got thanos and es: tke-monitor would use only one of them\nstdin: 1 problem found\n',
    });
  });
});

describe('the thanos-installer bin', () => {
  it('starts with a shebang, so npm can link it as an executable', () => {
    const source = readFileSync(join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'utf8');
    expect(source.split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});
