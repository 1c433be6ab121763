/**
 * How Receive moves from the shape it has to the one asked for without
 * losing acknowledged writes: one dimension at a time, in an order that keeps
 * the replication factor within the hashring and the hashring within the
 * running replicas at every moment. Pure: the reconfiguration applies each
 * stage and waits for it.
 */
import type { V1StatefulSet } from '@kubernetes/client-node';
import type { ThanosSettings } from '../request/defaults';

export interface ReceiveShape {
  /** StatefulSet replicas: pods running. */
  replicas: number;
  /** Replicas listed in the hashring (the lowest ordinals). */
  hashringMembers: number;
  replicationFactor: number;
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

/** `1` or `1-2`: the ordinals from `from` (inclusive) to `to` (exclusive). */
function ordinals(from: number, to: number): string {
  return to - from === 1 ? String(from) : `${from}-${to - 1}`;
}

const REPLICATION_FACTOR_FLAG = '--receive.replication-factor=';

/**
 * The shape a live Receive has: its StatefulSet's replicas and replication
 * factor flag, and the endpoints in its hashrings file.
 */
export function liveReceiveShape(statefulSet: V1StatefulSet, hashringsFile: string): ReceiveShape {
  const args = statefulSet.spec?.template.spec?.containers[0]?.args ?? [];
  const factor = args.find((a) => a.startsWith(REPLICATION_FACTOR_FLAG))?.slice(REPLICATION_FACTOR_FLAG.length);
  const hashrings = JSON.parse(hashringsFile) as { endpoints?: unknown[] }[];
  return {
    replicas: statefulSet.spec?.replicas ?? 1,
    hashringMembers: hashrings.reduce((n, h) => n + (h.endpoints?.length ?? 0), 0),
    replicationFactor: factor === undefined ? 1 : Number(factor),
  };
}
