import type { KubernetesObject } from '@kubernetes/client-node';
import type { ThanosSettings } from '../../request/defaults';
import { objstoreSecret } from '../objstore';
import { compactObjects } from './compact';
import { queryObjects } from './query';
import { receiveObjects, type ReceiveLayout } from './receive';
import { ruleObjects } from './rule';
import { storeObjects } from './store';

/**
 * Every Thanos object, in apply order: the objstore Secret the others mount,
 * then receive (ingestion comes first), query, store, compact and rule.
 * During a roll-out, Receive's objects follow `receiveLayout`.
 */
export function renderThanosObjects(settings: ThanosSettings, receiveLayout?: ReceiveLayout): KubernetesObject[] {
  return [
    objstoreSecret(settings),
    ...receiveObjects(settings, receiveLayout),
    ...queryObjects(settings),
    ...storeObjects(settings),
    ...compactObjects(settings),
    ...ruleObjects(settings),
  ];
}
