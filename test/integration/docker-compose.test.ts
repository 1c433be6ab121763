/**
 * docker-compose.yml as Docker Compose reads it. No Docker engine runs here,
 * so each setup the README documents is loaded by compose-go, the library
 * Docker Compose v2 loads files with (test/support/compose.ts), and the
 * project `docker compose up` would run is checked against the code's own
 * configuration: each service running one of the project's programs has its
 * environment read by the function that program reads it with, its mounted
 * files standing in at their host paths.
 *
 * The checks go by what a service runs, not by its name, so a service added to
 * the file (another worker, say) is checked like those already there.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiConfigFromEnv } from '../../src/api/config';
import { CODEC_KEY_FILE_ENV } from '../../src/codec/key';
import { codecServerConfigFromEnv } from '../../src/codec/main';
import { projectRoot } from '../../src/testground/paths';
import { workerConfigFromEnv } from '../../src/worker';
import { searchAttributeFlags } from '../../src/workflows/contracts';
import {
  commandOf, environmentOnHost, hostFileAt, loadComposeProject, publishedPort,
  type ComposeProject, type ComposeSetup,
} from '../support/compose';

/** The services every setup runs; the bucket profile adds MinIO. */
const CORE_SERVICES = ['postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'codec', 'api', 'worker-global'];
/** temporalio/ui's default listening port. */
const UI_CONTAINER_PORT = 8080;

const dir = mkdtempSync(join(tmpdir(), 'compose-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  writeFileSync(join(dir, name), content, { mode: 0o600 });
  return join(dir, name);
}

/** The files the README and the file's comments tell users to make, named by the variables they document. */
const userFiles = {
  KUBECONFIG_FILE: file('kubeconfig', 'apiVersion: v1\nkind: Config\n'),
  CODEC_KEY_FILE: file('codec.key', `${randomBytes(32).toString('base64')}\n`),
  API_TOKEN_FILE: file('api.token', `${randomBytes(24).toString('hex')}\n`),
};
const MINIO_ROOT_PASSWORD_FILE = file('minio.password', `${randomBytes(24).toString('hex')}\n`);

const setups: [string, ComposeSetup][] = [
  ['docker compose up', { env: userFiles, profiles: [] }],
  ['docker compose --profile bucket up', { env: { ...userFiles, MINIO_ROOT_PASSWORD_FILE }, profiles: ['bucket'] }],
];

/** The project's programs, each with the function it reads its environment with. */
const programs = {
  worker: { script: 'dist/worker.js', config: workerConfigFromEnv },
  api: { script: 'dist/api/main.js', config: apiConfigFromEnv },
  codec: { script: 'dist/codec/main.js', config: codecServerConfigFromEnv },
};
type Program = keyof typeof programs;

/** The services that run a program. */
function servicesRunning(project: ComposeProject, program: Program): string[] {
  return Object.keys(project.services).filter((name) => commandOf(project.services[name]!)?.join(' ') === `node ${programs[program].script}`);
}
/**
 * Every service that runs a program, with its environment (mounted files at
 * their host paths) and the configuration the program reads from it.
 */
function running<P extends Program>(project: ComposeProject, program: P) {
  return servicesRunning(project, program).map((name) => {
    const env = environmentOnHost(project, name);
    return { name, env, config: programs[program].config(env) as ReturnType<(typeof programs)[P]['config']> };
  });
}
function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** `host:port` names a service of the project and a port its container listens on. */
function expectReachable(project: ComposeProject, address: string): void {
  const [host, port] = address.split(':');
  const targets = project.services[host ?? '']?.ports?.map((p) => p.target);
  expect({ address, listening: targets?.includes(Number(port)) }).toEqual({ address, listening: true });
}

describe.each(setups)('%s', (_name, setup) => {
  let project: ComposeProject;
  beforeAll(() => {
    project = loadComposeProject(setup);
  });

  test('loads, with every core service, and MinIO exactly when the bucket profile is on', () => {
    expect(project.name).toBe('tke-thanos-installer');
    expect(Object.keys(project.services)).toEqual(expect.arrayContaining(CORE_SERVICES));
    expect('minio' in project.services).toBe(setup.profiles.includes('bucket'));
  });

  test('every built service runs a program the build produces, which accepts its environment and reads the payload key from the file the user gave', () => {
    const scripts = Object.values(programs).map((p) => p.script);
    for (const [name, s] of Object.entries(project.services).filter(([, s]) => s.build)) {
      expect(s.build?.context).toBe(projectRoot);
      const [node, script, ...rest] = commandOf(s) ?? [];
      expect({ name, node, script: scripts.includes(script ?? ''), rest }).toEqual({ name, node: 'node', script: true, rest: [] });
    }
    for (const program of Object.keys(programs) as Program[]) {
      const services = running(project, program);
      expect({ program, services: services.length > 0 }).toEqual({ program, services: true });
      for (const { name, env } of services) expect({ name, key: env[CODEC_KEY_FILE_ENV] }).toEqual({ name, key: userFiles.CODEC_KEY_FILE });
    }
  });

  test('every worker reaches the temporal service with the kubeconfig the user gave; each cluster the API serves has its own worker, polling its queue', () => {
    const workers = running(project, 'worker');
    const api = only(running(project, 'api')).config;
    for (const { name, config } of workers) {
      expectReachable(project, config.temporalAddress);
      expect(config.kubeconfig).toBe(userFiles.KUBECONFIG_FILE);
      const mount = project.services[name]?.volumes?.find((v) => v.source === userFiles.KUBECONFIG_FILE);
      expect(mount?.read_only).toBe(true);
    }
    expectReachable(project, api.temporalAddress);
    expect(api.clusters.names()).toEqual(['global']);
    for (const cluster of api.clusters.names()) {
      const polling = workers.filter((w) => w.config.taskQueue === api.clusters.taskQueueOf(cluster));
      expect(polling.map((w) => `${w.config.temporalAddress} ${w.config.namespace} ${w.config.cluster}`))
        .toEqual([`${api.temporalAddress} ${api.temporalNamespace} ${cluster}`]);
    }
  });

  test('the API listens on loopback of the host with the token the user gave, and links to the Web UI the host publishes', () => {
    const { name, config } = only(running(project, 'api'));
    expect(config.host).toBe('0.0.0.0');
    expect(publishedPort(project.services[name], config.port)?.hostIp).toBe('127.0.0.1');
    expect(config.token).toBe(readFileSync(userFiles.API_TOKEN_FILE, 'utf8').trim());
    const ui = publishedPort(project.services['temporal-ui'], UI_CONTAINER_PORT);
    expect(config.webUiUrl).toBe(`http://localhost:${ui?.port}`);
  });

  test('the Web UI decodes through the codec service, which allows the UI\'s origin', () => {
    const codec = only(running(project, 'codec'));
    const ui = project.services['temporal-ui'];
    expectReachable(project, ui?.environment?.TEMPORAL_ADDRESS ?? '');
    const endpoint = new URL(ui?.environment?.TEMPORAL_CODEC_ENDPOINT ?? '');
    expect(endpoint.hostname).toBe('localhost');
    expect(Number(endpoint.port)).toBe(publishedPort(project.services[codec.name], codec.config.port)?.port);
    expect(endpoint.pathname).toBe('/codec');
    const uiOrigin = `http://localhost:${publishedPort(ui, UI_CONTAINER_PORT)?.port}`;
    expect(codec.config.uiOrigins).toContain(uiOrigin);
    expect(ui?.environment?.TEMPORAL_CORS_ORIGINS).toBe(uiOrigin);
  });

  test('every published port binds to loopback, and no host port is published twice', () => {
    const ports = Object.values(project.services).flatMap((s) => s.ports ?? []);
    for (const port of ports) expect(port.host_ip).toBe('127.0.0.1');
    const published = ports.map((p) => p.published);
    expect(new Set(published).size).toBe(published.length);
  });

  test('every dependency is a service of the setup, each one waited on for health has a health check, and the programs wait for the search attributes', () => {
    for (const [name, s] of Object.entries(project.services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect({ name, dep, exists: dep in project.services }).toEqual({ name, dep, exists: true });
        if (condition === 'service_healthy') expect({ dep, healthcheck: Boolean(project.services[dep]?.healthcheck?.test) }).toEqual({ dep, healthcheck: true });
      }
    }
    for (const { name } of [...running(project, 'worker'), ...running(project, 'api')]) {
      expect(project.services[name]?.depends_on?.['temporal-setup']?.condition).toBe('service_completed_successfully');
    }
  });

  test('the setup registers exactly the search attributes the workflows use, in the programs\' namespace', () => {
    const command = (project.services['temporal-setup']?.command ?? []).join(' ');
    const registered = [...command.matchAll(/--namespace (\S+) --name (\w+) --type (\w+)/g)];
    expect(registered.map((m) => `${m[2]}=${m[3]}`).sort()).toEqual(searchAttributeFlags().sort());
    const namespaces = new Set(registered.map((m) => m[1]));
    for (const { config } of running(project, 'worker')) expect(namespaces).toEqual(new Set([config.namespace]));
  });

  test('every image is pinned to a tag other than latest', () => {
    for (const s of Object.values(project.services)) {
      if (s.image) expect(s.image).toMatch(/:(?!latest$)[\w.-]+$/);
    }
  });
});

test('with the bucket profile, MinIO takes its root password from the file the user gave, mounted as a secret, and serves S3 and its console on loopback', () => {
  const project = loadComposeProject({ env: { ...userFiles, MINIO_ROOT_PASSWORD_FILE }, profiles: ['bucket'] });
  const env = project.services.minio?.environment ?? {};
  expect(env.MINIO_ROOT_USER).toBe('thanos');
  expect(env).not.toHaveProperty('MINIO_ROOT_PASSWORD');
  expect(hostFileAt(project, 'minio', env.MINIO_ROOT_PASSWORD_FILE ?? '')).toBe(MINIO_ROOT_PASSWORD_FILE);
  const command = project.services.minio?.command ?? [];
  const console = Number(command[command.indexOf('--console-address') + 1]?.replace(/^:/, ''));
  for (const port of [9000, console]) expect(publishedPort(project.services.minio, port)).toEqual({ hostIp: '127.0.0.1', port });
});

test('without the variables, each file is looked for in the project directory under the name the file\'s comments give', () => {
  const project = loadComposeProject({ env: {}, profiles: ['bucket'] });
  const worker = only(servicesRunning(project, 'worker'));
  const kubeconfig = project.services[worker]?.environment?.KUBECONFIG ?? '';
  expect({
    kubeconfig: hostFileAt(project, worker, kubeconfig),
    secrets: Object.fromEntries(Object.entries(project.secrets ?? {}).map(([name, s]) => [name, s.file])),
  }).toEqual({
    kubeconfig: join(projectRoot, 'kubeconfig'),
    secrets: {
      'codec-key': join(projectRoot, 'codec.key'),
      'api-token': join(projectRoot, 'api.token'),
      'minio-root-password': join(projectRoot, 'minio.password'),
    },
  });
  const comments = readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8');
  for (const name of ['codec.key', 'api.token', 'minio.password']) expect(comments).toMatch(new RegExp(`^#.*> ${name.replace('.', '\\.')}`, 'm'));
});

test('the checker evaluates the whole file before applying profiles, as Docker Compose does', () => {
  const cwd = mkdtempSync(join(dir, 'project-'));
  writeFileSync(join(cwd, 'compose.yaml'), [
    'services:',
    '  always: { image: "busybox:1.36" }',
    '  optional: { image: "busybox:1.36", profiles: [extra], environment: { X: "${REQUIRED:?set REQUIRED}" } }',
  ].join('\n'));
  expect(() => loadComposeProject({ env: {}, profiles: [], cwd })).toThrow('required variable REQUIRED is missing a value');
  expect(Object.keys(loadComposeProject({ env: { REQUIRED: 'x' }, profiles: [], cwd }).services)).toEqual(['always']);
});
