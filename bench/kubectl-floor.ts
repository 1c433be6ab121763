/**
 * The floor the benchmarks hold the installer against: the same objects
 * applied with `kubectl apply --server-side` and waited for with `kubectl
 * rollout status`, and, on the real node, one remote-write read back through
 * Query, with nothing else around it.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import type * as k8s from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION } from '../src/activities/tke-config';
import { apiServerGet, apiServerRequest } from '../src/kube/proxy';
import { encodeWriteRequest, REMOTE_WRITE_HEADERS } from '../src/prometheus/remote-write';
import type { ThanosSettings } from '../src/request/defaults';
import { renderThanosObjects } from '../src/render/thanos';
import { REMOTE_WRITE_PATH } from '../src/render/thanos/receive';
import { queryApiProxyPath, REMOTE_WRITE_PORT, resourceName } from '../src/render/thanos/topology';
import { applyTkeConfigEdit, tkeConfigEdits } from '../src/render/tke';
import { receiveRemoteWriteAddress } from '../src/render/tke/controller-toml';
import { thanosQueryAddress } from '../src/render/tke/monitor-config';
import type { TestGroundCoordinates } from '../src/testground/coordinates';
import { binPath } from '../src/testground/paths';
import { TKE_FIXTURE_CONFIG, type TkeConsumer } from '../src/testground/tke-fixture';

const run = promisify(execFile);

/** Exactly what the install writes, as plain objects for kubectl. */
export function floorObjects(settings: ThanosSettings): k8s.KubernetesObject[] {
  const edits = tkeConfigEdits(thanosQueryAddress(settings.namespace), receiveRemoteWriteAddress(settings));
  const configMaps = new Map<string, Record<string, string>>();
  for (const edit of edits) {
    const data = configMaps.get(edit.configMap) ?? { ...TKE_FIXTURE_CONFIG[edit.configMap as TkeConsumer] };
    data[edit.key] = applyTkeConfigEdit(edit, data[edit.key] ?? '');
    configMaps.set(edit.configMap, data);
  }
  const consumers = [...new Set(edits.map((e) => e.consumer))];
  return [
    ...renderThanosObjects(settings),
    ...[...configMaps].map(([name, data]) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: settings.namespace }, data })),
    ...consumers.map((name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: settings.namespace },
      spec: { template: { metadata: { annotations: { [CONFIG_HASH_ANNOTATION]: 'bench' } } } },
    })),
  ];
}

/** The floor's wall time, and the API requests kubectl made (its `-v=6` log has one line per request). */
export async function kubectlFloor(c: TestGroundCoordinates, settings: ThanosSettings, dir: string): Promise<{ ms: number; requests: number }> {
  const objects = floorObjects(settings);
  const file = join(dir, `${settings.namespace}.yaml`);
  writeFileSync(file, objects.map((o) => dump(o, { noRefs: true })).join('---\n'));
  let requests = 0;
  const kubectl = async (args: string[]) => {
    const { stderr } = await run(binPath('kubectl'), ['--kubeconfig', c.kubernetes.kubeconfig, '-n', settings.namespace, '-v=6', ...args]);
    requests += stderr.split('\n').filter((line) => /"Response" verb="\w+" url="/.test(line) || / (GET|POST|PATCH|PUT|DELETE) https?:\/\//.test(line)).length;
  };
  const start = performance.now();
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
  const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  for (const w of workloads) {
    await kubectl(['rollout', 'status', `${w.kind?.toLowerCase()}/${w.metadata?.name}`, '--timeout=120s']);
  }
  return { ms: performance.now() - start, requests };
}

/**
 * One sample written to Receive and read back through Query, both through the
 * API server's service proxy (the bench runs outside the node's network):
 * the milliseconds until Query returned it.
 */
export async function remoteWriteReadBack(kc: k8s.KubeConfig, namespace: string, timeoutMs = 120_000): Promise<number> {
  const start = performance.now();
  const marker = `floor-${Date.now().toString(36)}`;
  const body = encodeWriteRequest([{ labels: { __name__: 'thanos_installer_floor', marker }, samples: [{ value: 1, timestampMs: Date.now() }] }]);
  const receive = `/api/v1/namespaces/${namespace}/services/http:${resourceName('receive')}:${REMOTE_WRITE_PORT}/proxy${REMOTE_WRITE_PATH}`;
  for (;;) {
    const written = await apiServerRequest(kc, receive, { method: 'POST', body, headers: REMOTE_WRITE_HEADERS }).catch(() => ({ status: 0, body: '' }));
    if (written.status < 300 && written.status >= 200) break;
    if (performance.now() - start > timeoutMs) throw new Error(`Receive in ${namespace} did not take the floor's sample: HTTP ${written.status} ${written.body}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const query = queryApiProxyPath(namespace, `/api/v1/query?query=${encodeURIComponent(`thanos_installer_floor{marker="${marker}"}`)}`);
  for (;;) {
    const answer = await apiServerGet(kc, query).catch(() => ({ status: 0, body: '' }));
    if (answer.status === 200 && (JSON.parse(answer.body) as { data: { result: unknown[] } }).data.result.length > 0) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`Query in ${namespace} did not return the floor's sample`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
