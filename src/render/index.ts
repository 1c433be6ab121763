import type { KubernetesObject } from '@kubernetes/client-node';
import type { ThanosSettings } from '../request/defaults';
import type { GlobalNodeIp } from '../request/global-node-ip';
import { renderThanosObjects } from './thanos';
import { RECEIVE_NODEPORT_SERVICE_NAME, REMOTE_WRITE_PATH } from './thanos/receive';
import { receiveRemoteWriteAddress } from './tke/controller-toml';
import { tkeConfigEdits, type TkeConfigEdit } from './tke';
import { thanosQueryAddress } from './tke/monitor-config';

/** Everything an install writes, computed from the settings alone. */
export interface RenderedInstall {
  /** The Thanos objects, in apply order. */
  objects: KubernetesObject[];
  /** Changes to TKE's own ConfigMaps, applied to their live text at install time. */
  tkeConfigEdits: TkeConfigEdit[];
  globalNodeIp: GlobalNodeIp;
  /** What tke-monitor reads from. */
  queryAddress: string;
  /** What business clusters' Prometheus writes to (plus /api/v1/receive). */
  remoteWriteAddress: string;
  /** Things the operator should know before installing. */
  notes: string[];
}

/** Things the operator should know before installing, e.g. that a load balancer must forward the NodePorts. */
export function installNotes(settings: ThanosSettings): string[] {
  const { address, source } = settings.globalNodeIp;
  const { nodePorts } = settings;
  const exposed = [
    ...(settings.exposeReceiveGrpcHttpNodePorts ? [nodePorts.receiveGrpc, nodePorts.receiveHttp] : []),
    nodePorts.receiveRemoteWrite,
  ].join(', ');
  const notes = {
    'tke-ha-vip': [`GLOBAL_NODE_IP is ${address}, the TKE HA virtual IP (config.ha.tke.vip).`],
    'third-party-ha-vip': [
      `GLOBAL_NODE_IP is ${address}, the third-party load balancer (config.ha.thirdParty.vip).`,
      `The load balancer must forward TCP ports ${exposed} to the global cluster's nodes, or business clusters cannot write metrics.`,
    ],
    'first-machine': [
      `GLOBAL_NODE_IP is ${address}, the first machine (no HA VIP configured): business clusters write through this node only.`,
    ],
  }[source];
  notes.push(
    `Business clusters remote-write to ${receiveRemoteWriteAddress(settings)}${REMOTE_WRITE_PATH} (Service ${RECEIVE_NODEPORT_SERVICE_NAME}, NodePorts ${exposed}).`,
  );
  if (settings.alertmanagers.length === 0) {
    notes.push('Thanos Rule sends its alerts nowhere: config.monitor.thanos.alertmanagers names no Alertmanager.');
  }
  if (settings.bucketConfig.type === 'FILESYSTEM') {
    notes.push(
      'A FILESYSTEM bucket is a directory inside each pod: store and compact never see what receive uploads. Use it for tests only.',
    );
  }
  return notes;
}

export function renderInstall(settings: ThanosSettings): RenderedInstall {
  const queryAddress = thanosQueryAddress(settings.namespace);
  const remoteWriteAddress = receiveRemoteWriteAddress(settings);
  return {
    objects: renderThanosObjects(settings),
    tkeConfigEdits: tkeConfigEdits(queryAddress, remoteWriteAddress),
    globalNodeIp: settings.globalNodeIp,
    queryAddress,
    remoteWriteAddress,
    notes: installNotes(settings),
  };
}
