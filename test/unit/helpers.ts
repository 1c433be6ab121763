import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1Container, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { ThanosSettings } from '../../src/request/defaults';
import type { InstallRequest } from '../../src/request/schema';
import { validateInstallRequest, type FieldError } from '../../src/request/validate';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

type RequestFixture = 'seed-request.json' | 'ha-request.json';

/** A fresh copy of a request fixture. */
export function requestFixture(name: RequestFixture = 'seed-request.json'): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

/**
 * A request fixture with changes at dotted paths (`cluster.spec.machines.0.ip`);
 * `undefined` removes the field.
 */
export function patched(changes: Record<string, unknown>, name: RequestFixture = 'seed-request.json'): Record<string, unknown> {
  const request = requestFixture(name);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    const last = keys.pop()!;
    let node = request;
    for (const key of keys) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return request;
}

/** The seed request with `config.monitor.thanos` replaced. */
export function seedWithThanos(thanos: unknown): Record<string, unknown> {
  return patched({ 'config.monitor.thanos': thanos });
}

export const SEED_BUCKET_CONFIG = {
  type: 's3',
  config: {
    access_key: 'thanosaccess',
    bucket: 'thanos',
    endpoint: '127.0.0.1:9000',
    insecure: true,
    secret_key: 'thanossecretkey123',
    signature_version2: true,
  },
};

export function validRequest(raw: unknown): { request: InstallRequest; settings: ThanosSettings } {
  const result = validateInstallRequest(raw);
  if (!result.ok) throw new Error(`expected a valid request, got:\n${formatErrors(result.errors)}`);
  return result;
}

export function settingsFor(raw: unknown): ThanosSettings {
  return validRequest(raw).settings;
}

export function errorsFor(raw: unknown): FieldError[] {
  const result = validateInstallRequest(raw);
  if (result.ok) throw new Error('expected the request to be rejected');
  return result.errors;
}

export function formatErrors(errors: readonly FieldError[]): string {
  return errors.map((error) => `${error.path}: ${error.message}`).join('\n');
}

export function find<T extends KubernetesObject>(objects: readonly KubernetesObject[], kind: string, name: string): T {
  const found = objects.find((object) => object.kind === kind && object.metadata?.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} among the rendered objects`);
  return found as T;
}

/** The pod template of a Deployment or StatefulSet. */
export function podTemplateOf(object: KubernetesObject): V1PodTemplateSpec | undefined {
  return (object as { spec?: { template?: V1PodTemplateSpec } }).spec?.template;
}

export function containersOf(object: KubernetesObject): V1Container[] {
  return podTemplateOf(object)?.spec?.containers ?? [];
}

export function workloads(objects: readonly KubernetesObject[]): KubernetesObject[] {
  return objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet');
}
