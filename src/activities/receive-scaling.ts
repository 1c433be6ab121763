import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { dryRunApply } from '../kube/apply';
import { isNotFound } from '../kube/patch';
import { podNamed, statefulSetNamed, watchUntil } from '../kube/watch';
import { apiServerGet, apiServerRequest } from '../kube/proxy';
import { encodeWriteRequest, REMOTE_WRITE_HEADERS } from '../prometheus/remote-write';
import type { ThanosSettings } from '../request/defaults';
import { liveReceiveShape, type ReceiveShape } from '../render/receive-scaling';
import { objectsOfComponent } from '../render/groups';
import {
  HASHRING_CONFIGMAP_NAME,
  HASHRING_FILE_NAME,
  hashringConfigHash,
  hashringOrdinals,
  hashringsFile,
  receivePodName,
  REMOTE_WRITE_PATH,
  type ReceiveLayout,
} from '../render/thanos/receive';
import { HTTP_PORT, REMOTE_WRITE_PORT, resourceName } from '../render/thanos/topology';
import { checkpoint } from './heartbeat';

const CONFIG_HASH_METRIC = 'thanos_receive_config_hash';
/** Each tenant's newest sample time in a Receive pod's head, labelled `tenant`. */
const HEAD_MAX_TIME_METRIC = 'prometheus_tsdb_head_max_time';
/** The header Receive reads a write's tenant from (Thanos's default). */
const TENANT_HEADER = 'THANOS-TENANT';
/**
 * Marker samples written to a replica about to leave for good, newer than
 * anything it will take: Receive's last flush keeps back its head's newest
 * sample (it cuts the block just below it), so the marker is what stays
 * behind, not a real sample. Ahead by more than a hashring change takes to
 * reach every pod (the kubelet's sync period, a minute by default, plus
 * Receive's refresh), so no real sample outruns them; and not much more:
 * replicas that stay get markers too, and one that flushed (restarted)
 * before their time had passed would refuse every real sample older than
 * them.
 */
const FLUSH_MARKER_METRIC = 'thanos_installer_flush_marker';
const FLUSH_MARKER_LEAD_MS = 120_000;
/** Series per marker write: enough that the hashring gives every replica some. */
const FLUSH_MARKER_SERIES = 64;
/** Counted as each of Store's bucket syncs starts. */
const STORE_SYNCS_METRIC = 'thanos_blocks_meta_syncs_total';
const POLL_MS = 1000;
/** The label the StatefulSet controller puts on each pod: the revision of the template it runs. */
const REVISION_LABEL = 'controller-revision-hash';

const ordinalOf = (pod: k8s.V1Pod): number => Number(pod.metadata?.name?.slice(resourceName('receive').length + 1));
const isReady = (pod: k8s.V1Pod): boolean =>
  pod.metadata?.deletionTimestamp === undefined && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** A metric without labels as a Thanos pod reports it; undefined while it cannot say. */
async function podMetric(kc: k8s.KubeConfig, namespace: string, pod: string, name: string): Promise<number | undefined> {
  const { status, body } = await apiServerGet(kc, `/api/v1/namespaces/${namespace}/pods/${pod}:${HTTP_PORT}/proxy/metrics`);
  if (status !== 200) return undefined;
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const HEAD_MAX_TIME_SAMPLE = new RegExp(`^${HEAD_MAX_TIME_METRIC}\\{[^}]*tenant="([^"]*)"[^}]*\\} (\\S+)$`);

/** Each tenant's head max time in a pod, from its metrics; undefined while it cannot say. */
async function headMaxTimes(kc: k8s.KubeConfig, namespace: string, pod: string): Promise<Map<string, number> | undefined> {
  const { status, body } = await apiServerGet(kc, `/api/v1/namespaces/${namespace}/pods/${pod}:${HTTP_PORT}/proxy/metrics`);
  if (status !== 200) return undefined;
  const times = new Map<string, number>();
  for (const line of body.split('\n')) {
    const sample = HEAD_MAX_TIME_SAMPLE.exec(line);
    if (sample) times.set(sample[1] as string, Number(sample[2]));
  }
  return times;
}

/**
 * Reading Receive as it runs, and waiting for a scaling stage to take
 * effect in the pods themselves: a hashring change counts once every
 * running replica reports having loaded it, a scale-down once the leaving
 * pods are gone (after flushing their data to the bucket).
 */
export function receiveScalingActivities(kc: k8s.KubeConfig) {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    /** Receive's live shape; undefined when it is not installed. */
    async receiveShape(namespace: string): Promise<ReceiveShape | undefined> {
      try {
        const statefulSet = await apps.readNamespacedStatefulSet({ name: resourceName('receive'), namespace });
        const hashrings = await core.readNamespacedConfigMap({ name: HASHRING_CONFIGMAP_NAME, namespace });
        return liveReceiveShape(statefulSet, hashrings.data?.[HASHRING_FILE_NAME] ?? '[]');
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    /** Whether applying `settings` would change the pod template of a running Receive (pods would restart). */
    async receiveTemplateChanges(settings: ThanosSettings): Promise<boolean> {
      const statefulSet = objectsOfComponent(settings, 'receive').find((o) => o.kind === 'StatefulSet') as k8s.V1StatefulSet;
      const { live, wouldBe } = await dryRunApply(kc, statefulSet);
      return live !== undefined && JSON.stringify(live.spec?.template) !== JSON.stringify(wouldBe.spec?.template);
    },

    /** The ordinals of the running Receive pods whose template is older than their StatefulSet's. */
    async receivePodsBehind(settings: ThanosSettings, timeoutSeconds: number): Promise<number[]> {
      const { namespace } = settings;
      const observed = await watchUntil(
        kc,
        [statefulSetNamed(kc, namespace, resourceName('receive'))],
        ([statefulSets]) => {
          const statefulSet = statefulSets?.[0];
          checkpoint({ waiting: 'for the StatefulSet controller to observe the latest Receive template' });
          const seen = statefulSet !== undefined && (statefulSet.status?.observedGeneration ?? 0) >= (statefulSet.metadata?.generation ?? 1);
          return seen ? statefulSet : undefined;
        },
        timeoutSeconds * 1000,
        Context.current().cancellationSignal,
      );
      if (observed === undefined) {
        throw ApplicationFailure.create({ type: 'ReceiveNotObserved', message: `after ${timeoutSeconds}s, the StatefulSet controller has not observed ${resourceName('receive')}` });
      }
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${resourceName('receive')}` });
      return pods.items
        .filter((pod) => ordinalOf(pod) < settings.replicas.receive && pod.metadata?.labels?.[REVISION_LABEL] !== observed.status?.updateRevision)
        .map(ordinalOf)
        .sort((a, b) => a - b);
    },

    /** Waits until replica `ordinal` runs the StatefulSet's latest template and is Ready. */
    async waitForReceiveRestart(settings: ThanosSettings, ordinal: number, timeoutSeconds: number): Promise<string> {
      const name = receivePodName(ordinal);
      let state = 'not there yet';
      const restarted = await watchUntil<k8s.V1StatefulSet | k8s.V1Pod, string>(
        kc,
        [statefulSetNamed(kc, settings.namespace, resourceName('receive')), podNamed(kc, settings.namespace, name)],
        ([statefulSets, pods]) => {
          const statefulSet = statefulSets?.[0];
          const pod = pods?.[0];
          const updated = pod?.metadata?.labels?.[REVISION_LABEL] === (statefulSet as k8s.V1StatefulSet | undefined)?.status?.updateRevision;
          state = pod === undefined ? 'not there yet' : !updated ? 'still on the older template' : 'not Ready yet';
          checkpoint({ waiting: `${name} ${state}` });
          return pod !== undefined && updated && isReady(pod as k8s.V1Pod) ? `${name} restarted and Ready` : undefined;
        },
        timeoutSeconds * 1000,
        Context.current().cancellationSignal,
      );
      if (restarted === undefined) {
        throw ApplicationFailure.create({ type: 'ReceiveRestartTimedOut', message: `after ${timeoutSeconds}s, ${name} is ${state}` });
      }
      return restarted;
    },

    /**
     * Before replicas leave the hashring for good: writes marker samples,
     * through replica 0, until every tenant's head on each leaving replica
     * holds one newer than any sample it will take, so that its last flush
     * uploads every real sample it acknowledged.
     */
    async pinLeavingReceiveHeads(settings: ThanosSettings, leaving: number[], timeoutSeconds: number): Promise<{ summary: string; markerAt: number }> {
      const ctx = Context.current();
      const { namespace } = settings;
      const markerAt = Date.now() + FLUSH_MARKER_LEAD_MS;
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (let batch = 0; ; batch++) {
        const unpinned = new Map<string, string[]>();
        for (const pod of leaving.map(receivePodName)) {
          const heads = await headMaxTimes(kc, namespace, pod).catch(() => undefined);
          if (heads === undefined) throw ApplicationFailure.create({ type: 'ReceiveUnreadable', message: `cannot read ${pod}'s metrics to pin its head before it leaves` });
          for (const [tenant, maxTime] of heads) if (maxTime < markerAt) unpinned.set(tenant, [...(unpinned.get(tenant) ?? []), pod]);
        }
        checkpoint({ waiting: [...unpinned].map(([tenant, pods]) => `${pods.join(', ')} (tenant ${tenant}) without a marker yet`) });
        if (unpinned.size === 0) {
          return { summary: `replicas ${leaving.join(', ')} hold a marker newer than every sample they took, so their last flush uploads them all`, markerAt };
        }
        if (Date.now() > deadline) {
          throw ApplicationFailure.create({ type: 'ReceiveNotPinned', message: `after ${timeoutSeconds}s and ${batch} marker writes, ${[...unpinned].map(([t, p]) => `${p.join(', ')} (tenant ${t})`).join('; ')} took none` });
        }
        for (const tenant of unpinned.keys()) {
          const series = Array.from({ length: FLUSH_MARKER_SERIES }, (_, i) => ({
            labels: { __name__: FLUSH_MARKER_METRIC, batch: String(batch), series: String(i) },
            samples: [{ value: 1, timestampMs: markerAt }],
          }));
          const written = await apiServerRequest(kc, `/api/v1/namespaces/${namespace}/pods/${receivePodName(0)}:${REMOTE_WRITE_PORT}/proxy${REMOTE_WRITE_PATH}`, {
            method: 'POST',
            body: encodeWriteRequest(series),
            headers: { ...REMOTE_WRITE_HEADERS, [TENANT_HEADER]: tenant },
          });
          if (written.status >= 300) {
            throw ApplicationFailure.create({ type: 'ReceiveRefusedMarker', message: `writing flush markers for tenant ${tenant} through ${receivePodName(0)}: HTTP ${written.status}: ${written.body.slice(0, 300)}` });
          }
        }
        await ctx.sleep(POLL_MS);
      }
    },

    /**
     * Once replicas have left the hashring and before they stop: whether
     * each one's newest sample is still a marker. One that took a real
     * sample after its marker (a hashring change slower than the markers'
     * lead) keeps that sample back in its WAL, on its claim, when it stops.
     */
    async leavingHeadsHoldMarkers(settings: ThanosSettings, leaving: number[], markerAt: number): Promise<string> {
      const outran: string[] = [];
      for (const pod of leaving.map(receivePodName)) {
        const heads = await headMaxTimes(kc, settings.namespace, pod).catch(() => undefined);
        if (heads === undefined) throw ApplicationFailure.create({ type: 'ReceiveUnreadable', message: `cannot read ${pod}'s metrics to check its head before it stops` });
        for (const [tenant, maxTime] of heads) {
          if (maxTime > markerAt) outran.push(`${pod} (tenant ${tenant}) took a sample at ${new Date(maxTime).toISOString()}, after its marker`);
        }
      }
      return outran.length === 0
        ? `replicas ${leaving.join(', ')} left with a marker as their newest sample`
        : `${outran.join('; ')}: that newest sample stays in the replica's WAL on its claim until it runs again`;
    },

    async waitForReceiveStage(settings: ThanosSettings, layout: ReceiveLayout, timeoutSeconds: number): Promise<string> {
      const ctx = Context.current();
      const namespace = settings.namespace;
      const wanted = hashringConfigHash(hashringsFile(settings, layout));
      const members = hashringOrdinals(layout).length;
      const running = Array.from({ length: settings.replicas.receive }, (_, i) => receivePodName(i));
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const behind: string[] = [];
        for (const pod of running) {
          const loaded = await podMetric(kc, namespace, pod, CONFIG_HASH_METRIC).catch(() => undefined);
          if (loaded !== wanted) behind.push(pod);
        }
        const pods = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${resourceName('receive')}` });
        const leaving = pods.items.map((p) => p.metadata?.name ?? '').filter((name) => !running.includes(name));
        const waiting = [
          ...(behind.length > 0 ? [`${behind.join(', ')} not yet running the hashring of ${members} member(s)`] : []),
          ...(leaving.length > 0 ? [`${leaving.join(', ')} still stopping (flushing to the bucket)`] : []),
        ];
        checkpoint({ waiting });
        if (waiting.length === 0) {
          return `${running.length} replica(s) running the hashring of ${members} member(s)`;
        }
        if (Date.now() > deadline) {
          throw ApplicationFailure.create({ type: 'ReceiveStageTimedOut', message: `after ${timeoutSeconds}s, ${waiting.join('; ')}` });
        }
        await ctx.sleep(POLL_MS);
      }
    },

    /**
     * Waits until every Store pod has finished a bucket sync that began after
     * this call: then the blocks that stopped Receive replicas uploaded on
     * their way out are served again, through Store.
     */
    async waitForStoreSync(settings: ThanosSettings, timeoutSeconds: number): Promise<string> {
      const ctx = Context.current();
      const namespace = settings.namespace;
      const pods = Array.from({ length: settings.replicas.store }, (_, i) => `${resourceName('store')}-${i}`);
      const syncs = async () => Promise.all(pods.map((pod) => podMetric(kc, namespace, pod, STORE_SYNCS_METRIC).catch(() => undefined)));
      const before = await syncs();
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const now = await syncs();
        // The first sync counted after `before` may have begun earlier; the one after it began later, and the first has ended.
        const behind = pods.filter((_, i) => before[i] === undefined || (now[i] ?? 0) < (before[i] as number) + 2);
        checkpoint({ waitingForStoreSync: behind });
        if (behind.length === 0) return `Store has synced the bucket since (${pods.join(', ')})`;
        if (Date.now() > deadline) {
          throw ApplicationFailure.create({ type: 'StoreNotSynced', message: `after ${timeoutSeconds}s, ${behind.join(', ')} has not synced the bucket again` });
        }
        await ctx.sleep(POLL_MS);
      }
    },
  };
}
