/**
 * No Docker engine runs here, so docker-compose.yml is checked as far as a
 * parser can: services, ports, environment and dependencies agree with the
 * code's own configuration (each service's environment is read by the same
 * function its process uses).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { apiConfigFromEnv } from '../../src/api/config';
import { codecServerConfigFromEnv } from '../../src/codec/main';
import { searchAttributeFlags, TASK_QUEUE } from '../../src/workflows/contracts';
import { workerConfigFromEnv } from '../../src/worker';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  secrets?: string[];
  profiles?: string[];
}
const compose = load(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** Docker secrets mount at /run/secrets/<name>: stand in local files for them, of the right kind. */
const secretFiles: Record<string, string> = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries({ 'codec-key': randomBytes(32).toString('base64'), 'api-token': randomBytes(24).toString('hex') })) {
    files[name] = join(dir, name);
    writeFileSync(files[name] as string, content);
  }
  return files;
})();

/** A service's environment with each /run/secrets/<name> path replaced by a local file; checks the secret is mounted. */
function environmentOf(name: string): Record<string, string> {
  const s = service(name);
  return Object.fromEntries(
    Object.entries(s.environment ?? {}).map(([key, value]) => {
      const secret = /^\/run\/secrets\/(.+)$/.exec(value)?.[1];
      if (!secret) return [key, value];
      expect({ service: name, secret, mounted: s.secrets?.includes(secret), declared: secret in compose.secrets }).toEqual({
        service: name, secret, mounted: true, declared: true,
      });
      return [key, secretFiles[secret] as string];
    }),
  );
}

/** The host port a service publishes for a container port. */
function published(name: string, containerPort: number): number | undefined {
  const entry = service(name).ports?.find((p) => p.endsWith(`:${containerPort}`));
  return entry ? Number(entry.split(':')[1]) : undefined;
}

test('every dependency names a service of the file, and no required service depends on an optional one', () => {
  for (const [name, s] of Object.entries(services)) {
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
    for (const dep of deps) {
      expect({ name, dep, exists: dep in services }).toEqual({ name, dep, exists: true });
      if (!s.profiles) expect({ name, dep, optional: services[dep]?.profiles }).toEqual({ name, dep, optional: undefined });
    }
  }
});

test('every image is pinned to a tag, and every built service runs a file the build produces', () => {
  for (const s of Object.values(services)) {
    if (s.image) expect(s.image).toMatch(/:[\w.-]+$/);
    if (s.image) expect(s.image).not.toMatch(/:latest$/);
    if (s.build) {
      const script = s.command?.[1] ?? 'dist/worker.js';
      expect(script).toMatch(/^dist\/(worker|api\/main|codec\/main)\.js$/);
    }
  }
});

test('the worker, read as src/worker.ts reads its environment, reaches the temporal service', () => {
  expect(service('worker').build).toBe('.');
  const config = workerConfigFromEnv(environmentOf('worker'));
  expect(config.taskQueue).toBe(TASK_QUEUE);
  expect(config.temporalAddress).toBe(`temporal:${published('temporal', 7233)}`);
  expect(config.kubeconfig).toBeDefined();
});

test('the API, read as src/api/config.ts reads it, uses the same Temporal, task queue and key as the worker, on its published port', () => {
  const api = apiConfigFromEnv(environmentOf('api'));
  const worker = workerConfigFromEnv(environmentOf('worker'));
  expect(api.temporalAddress).toBe(worker.temporalAddress);
  expect(api.taskQueue).toBe(worker.taskQueue);
  expect(api.codecKey).toEqual(worker.codecKey);
  expect(published('api', api.port)).toBeDefined();
  expect(api.host).toBe('0.0.0.0');
  expect(api.webUiUrl).toBe(`http://localhost:${published('temporal-ui', 8080)}`);
});

test('the Web UI decodes through the codec service, which allows the UI\'s origin and holds the same key', () => {
  const codec = codecServerConfigFromEnv(environmentOf('codec'));
  const endpoint = new URL(service('temporal-ui').environment?.TEMPORAL_CODEC_ENDPOINT ?? '');
  expect(Number(endpoint.port)).toBe(published('codec', codec.port));
  expect(endpoint.pathname).toBe('/codec');
  expect(codec.uiOrigins).toContain(`http://localhost:${published('temporal-ui', 8080)}`);
  expect(codec.key).toEqual(workerConfigFromEnv(environmentOf('worker')).codecKey);
});

test('the search attributes the setup registers are exactly those the workflows use', () => {
  const command = (service('temporal-setup').command ?? []).join(' ');
  const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => `${m[1]}=${m[2]}`);
  expect(registered.sort()).toEqual(searchAttributeFlags().sort());
});

test('every published port binds to loopback only', () => {
  for (const s of Object.values(services)) {
    for (const port of s.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  }
});
