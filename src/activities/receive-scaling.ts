import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { dryRunApply } from '../kube/apply';
import { isNotFound } from '../kube/patch';
import { podNamed, statefulSetNamed, watchUntil } from '../kube/watch';
import { apiServerGet } from '../kube/proxy';
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
  type ReceiveLayout,
} from '../render/thanos/receive';
import { HTTP_PORT, resourceName } from '../render/thanos/topology';
import { checkpoint } from './heartbeat';

const CONFIG_HASH_METRIC = 'thanos_receive_config_hash';
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
