/**
 * No Docker engine runs here, so docker-compose.yml is checked as far as a
 * parser can: services, ports, environment and dependencies agree with the
 * code's own configuration.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODEC_KEY_FILE_ENV } from '../../src/codec/key';
import { load } from 'js-yaml';
import { searchAttributeFlags, TASK_QUEUE } from '../../src/workflows/contracts';
import { workerConfigFromEnv } from '../../src/worker';

interface Service {
  secrets?: string[];
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  command?: string[];
  profiles?: string[];
}
const compose = load(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const services = compose.services;

test('every dependency names a service of the file, and no required service depends on an optional one', () => {
  for (const [name, service] of Object.entries(services)) {
    const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dep of deps) {
      expect({ name, dep, exists: dep in services }).toEqual({ name, dep, exists: true });
      if (!service.profiles) expect({ name, dep, optional: services[dep]?.profiles }).toEqual({ name, dep, optional: undefined });
    }
  }
});

test('every image is pinned to a tag', () => {
  for (const service of Object.values(services)) {
    if (service.image) expect(service.image).toMatch(/:[\w.-]+$/);
    if (service.image) expect(service.image).not.toMatch(/:latest$/);
  }
});

test('the worker, read as src/worker.ts reads its environment, reaches the temporal service on its published port', () => {
  const worker = services.worker as Service;
  expect(worker.build).toBe('.');
  // The key file is a Docker secret mounted at /run/secrets/<name>; stand in a real key file for it.
  const keyPath = worker.environment?.[CODEC_KEY_FILE_ENV] ?? '';
  const secretName = keyPath.replace('/run/secrets/', '');
  expect(worker.secrets).toContain(secretName);
  expect(compose.secrets[secretName]?.file).toBeDefined();
  const keyFile = join(mkdtempSync(join(tmpdir(), 'compose-')), 'codec.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64'));
  const config = workerConfigFromEnv({ ...worker.environment, [CODEC_KEY_FILE_ENV]: keyFile });
  expect(config.taskQueue).toBe(TASK_QUEUE);
  const [host, port] = config.temporalAddress.split(':');
  expect(host).toBe('temporal');
  expect(services.temporal?.ports?.some((p) => p.endsWith(`:${port}`))).toBe(true);
  expect(config.kubeconfig).toBeDefined();
});

test('the search attributes the setup registers are exactly those the workflows use', () => {
  const command = (services['temporal-setup']?.command ?? []).join(' ');
  const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => `${m[1]}=${m[2]}`);
  expect(registered.sort()).toEqual(searchAttributeFlags().sort());
});

test('every published port binds to loopback only', () => {
  for (const service of Object.values(services)) {
    for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  }
});
