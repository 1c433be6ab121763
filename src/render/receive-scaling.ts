/**
 * How Receive moves from the shape it has to the one asked for without
 * losing acknowledged writes: one dimension at a time, in an order that keeps
 * the replication factor within the hashring and the hashring within the
 * running replicas at every moment. Pure: the reconfiguration applies each
 * stage and waits for it.
 */
import type { V1StatefulSet } from '@kubernetes/client-node';
import type { ThanosSettings } from '../request/defaults';
import { hashringOrdinals, type ReceiveLayout } from './thanos/receive';
import { resourceName } from './thanos/topology';

export interface ReceiveShape {
  /** StatefulSet replicas: pods running. */
  replicas: number;
  /** Replicas listed in the hashring (the lowest ordinals). */
  hashringMembers: number;
  replicationFactor: number;
  /** One of the members left out of the hashring while it restarts: a live Receive whose roll-out stopped midway. */
  outsideHashring?: number;
}

export interface ReceiveStage {
  shape: ReceiveShape;
  /** What this stage does, for the progress log. */
  why: string;
}

export function receiveShapeOf(settings: ThanosSettings): ReceiveShape {
  return {
    replicas: settings.replicas.receive,
    hashringMembers: settings.replicas.receive,
    replicationFactor: settings.receiveReplicationFactor,
  };
}

/** The settings a stage renders: the target's, with the stage's replicas and replication factor. */
export function stageSettings(target: ThanosSettings, shape: ReceiveShape): ThanosSettings {
  return { ...target, replicas: { ...target.replicas, receive: shape.replicas }, receiveReplicationFactor: shape.replicationFactor };
}

const sameShape = (a: ReceiveShape, b: ReceiveShape): boolean =>
  a.replicas === b.replicas && a.hashringMembers === b.hashringMembers && a.replicationFactor === b.replicationFactor;

/**
 * The stages from `live` (undefined: no Receive yet) to `target`. The last
 * is always the target itself, so the full target objects are applied at the
 * end even when the shape does not change (an image, a flag). In order:
 * lower the replication factor; start new replicas outside the hashring;
 * change the hashring once they are Ready; stop the replicas that left it;
 * raise the replication factor.
 */
export function receiveStages(live: ReceiveShape | undefined, target: ReceiveShape): ReceiveStage[] {
  if (live === undefined) return [{ shape: target, why: `start ${target.replicas} replica(s)` }];
  const stages: ReceiveStage[] = [];
  let current = live;
  const step = (next: ReceiveShape, why: string): void => {
    if (sameShape(next, current)) return;
    stages.push({ shape: next, why });
    current = next;
  };
  if (target.replicationFactor < current.replicationFactor) {
    step({ ...current, replicationFactor: target.replicationFactor }, `lower the replication factor to ${target.replicationFactor}`);
  }
  if (target.replicas > current.replicas) {
    step({ ...current, replicas: target.replicas }, `start replicas ${ordinals(current.replicas, target.replicas)} outside the hashring`);
  }
  if (target.hashringMembers !== current.hashringMembers) {
    const change = target.hashringMembers > current.hashringMembers
      ? `replicas ${ordinals(current.hashringMembers, target.hashringMembers)} join the hashring, now Ready`
      : `replicas ${ordinals(target.hashringMembers, current.hashringMembers)} leave the hashring while still running`;
    step({ ...current, hashringMembers: target.hashringMembers }, change);
  }
  if (target.replicas < current.replicas) {
    step({ ...current, replicas: target.replicas }, `stop replicas ${ordinals(target.replicas, current.replicas)}, which flush their data to the bucket on the way out`);
  }
  if (target.replicationFactor > current.replicationFactor) {
    step({ ...current, replicationFactor: target.replicationFactor }, `raise the replication factor to ${target.replicationFactor}`);
  }
  return stages.length > 0 ? stages : [{ shape: target, why: `keep ${target.replicas} replica(s)` }];
}

export interface ReceiveRestart {
  ordinal: number;
  /** Applied for this step. */
  layout: ReceiveLayout;
  /** What the step waits for: every replica running the new hashring, or the replica back on the new template. */
  waitFor: 'hashring' | 'restart';
  why: string;
}

/**
 * Restarts the replicas in `behind` (running an older template) one at a
 * time, highest ordinal first, as the StatefulSet's partition allows.
 * Receive flushes its head when it stops and when it starts, and a write
 * appended during a flush can be lost, so each replica leaves the hashring
 * first, restarts while no write is meant for it, and rejoins once Ready.
 * Where the replication factor needs every member, or another replica is
 * already out, there is no room to leave: it restarts in place, and the
 * writes it owns are refused meanwhile. A replica `live` has outside the
 * hashring (a run that stopped midway) restarts there and then rejoins.
 */
export function receiveRestarts(live: ReceiveShape, behind: readonly number[]): ReceiveRestart[] {
  const hashringMembers = live.hashringMembers;
  const ordinals = [...new Set([...behind, ...(live.outsideHashring === undefined ? [] : [live.outsideHashring])])].sort((a, b) => b - a);
  let outside = live.outsideHashring;
  const restarts: ReceiveRestart[] = [];
  for (const ordinal of ordinals) {
    const layout = (outsideHashring: number | undefined, keepTemplateBelow: number): ReceiveLayout => ({
      hashringMembers,
      ...(outsideHashring !== undefined && { outsideHashring }),
      keepTemplateBelow,
    });
    const members = hashringOrdinals({ hashringMembers, ...(outside !== undefined && { outsideHashring: outside }) });
    if (!members.includes(ordinal)) {
      restarts.push({ ordinal, layout: layout(outside, ordinal), waitFor: 'restart', why: `restart replica ${ordinal}, outside the hashring` });
      if (ordinal === outside) {
        outside = undefined;
        restarts.push({ ordinal, layout: layout(undefined, ordinal), waitFor: 'hashring', why: `replica ${ordinal} rejoins the hashring, now Ready on the new template` });
      }
    } else if (outside === undefined && members.length - 1 >= live.replicationFactor) {
      restarts.push(
        { ordinal, layout: layout(ordinal, ordinal + 1), waitFor: 'hashring', why: `replica ${ordinal} leaves the hashring before it restarts` },
        { ordinal, layout: layout(ordinal, ordinal), waitFor: 'restart', why: `restart replica ${ordinal} while outside the hashring` },
        { ordinal, layout: layout(undefined, ordinal), waitFor: 'hashring', why: `replica ${ordinal} rejoins the hashring, now Ready on the new template` },
      );
    } else {
      restarts.push({
        ordinal,
        layout: layout(outside, ordinal),
        waitFor: 'restart',
        why: `restart replica ${ordinal} in place (${outside === undefined ? `a replication factor of ${live.replicationFactor} needs all ${members.length} member(s)` : `replica ${outside} is already outside the hashring`}: the writes it owns are refused until it is back)`,
      });
    }
  }
  return restarts;
}

/** `1` or `1-2`: the ordinals from `from` (inclusive) to `to` (exclusive). */
function ordinals(from: number, to: number): string {
  return to - from === 1 ? String(from) : `${from}-${to - 1}`;
}

const REPLICATION_FACTOR_FLAG = '--receive.replication-factor=';
/** `thanos-receive-2.thanos-receive.tke.svc.cluster.local:10901` names ordinal 2. */
const ENDPOINT_ORDINAL = new RegExp(`^${resourceName('receive')}-(\\d+)\\.`);

/**
 * The shape a live Receive has: its StatefulSet's replicas and replication
 * factor flag, and the members of its hashrings file (endpoints name their
 * pod's ordinal; one missing below the highest is outside while it restarts).
 */
export function liveReceiveShape(statefulSet: V1StatefulSet, hashringsFile: string): ReceiveShape {
  const args = statefulSet.spec?.template.spec?.containers[0]?.args ?? [];
  const factor = args.find((a) => a.startsWith(REPLICATION_FACTOR_FLAG))?.slice(REPLICATION_FACTOR_FLAG.length);
  const hashrings = JSON.parse(hashringsFile) as { endpoints?: string[] }[];
  const listed = hashrings.flatMap((h) => h.endpoints ?? []).map((endpoint) => Number(ENDPOINT_ORDINAL.exec(endpoint)?.[1]));
  const hashringMembers = listed.length === 0 ? 0 : Math.max(...listed) + 1;
  const outside = Array.from({ length: hashringMembers }, (_, ordinal) => ordinal).filter((ordinal) => !listed.includes(ordinal));
  return {
    replicas: statefulSet.spec?.replicas ?? 1,
    hashringMembers,
    replicationFactor: factor === undefined ? 1 : Number(factor),
    ...(outside.length === 1 && { outsideHashring: outside[0] }),
  };
}
