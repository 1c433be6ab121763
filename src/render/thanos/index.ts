import type { KubernetesObject } from '@kubernetes/client-node';
import type { ThanosSettings } from '../../request/defaults';
import { objstoreSecret } from '../objstore';
import { compactObjects } from './compact';
import { queryObjects } from './query';
import { receiveObjects } from './receive';
import { ruleObjects } from './rule';
import { storeObjects } from './store';

/**
 * Every Thanos object, in apply order: the objstore Secret the others mount,
 * then receive (ingestion comes first), query, store, compact and rule.
 * While Receive scales, its hashring lists `receiveHashringMembers` replicas.
 */
export function renderThanosObjects(settings: ThanosSettings, receiveHashringMembers?: number): KubernetesObject[] {
  return [
    objstoreSecret(settings),
    ...receiveObjects(settings, receiveHashringMembers),
    ...queryObjects(settings),
    ...storeObjects(settings),
    ...compactObjects(settings),
    ...ruleObjects(settings),
  ];
}
