import type { InstallRequest } from './schema';

export type GlobalNodeIpSource = 'tke-ha-vip' | 'third-party-ha-vip' | 'first-machine';

/** Where in the request each source of GLOBAL_NODE_IP is, for messages that send the operator there. */
export const GLOBAL_NODE_IP_FIELDS: Record<GlobalNodeIpSource, string> = {
  'tke-ha-vip': 'config.ha.tke.vip',
  'third-party-ha-vip': 'config.ha.thirdParty.vip',
  'first-machine': 'cluster.spec.machines[0].ip',
};

/** The address business clusters use to reach the global cluster's nodes (and receive's NodePorts). */
export interface GlobalNodeIp {
  address: string;
  source: GlobalNodeIpSource;
}

/**
 * The HA virtual IP when the request configures one (TKE's keepalived VIP
 * first, then a third-party load balancer's), otherwise the first machine, as
 * tke-installer itself picks its registry address. Falling back to the first
 * machine only without HA avoids pinning every business cluster to one node.
 */
export function globalNodeIp(request: InstallRequest): GlobalNodeIp {
  const ha = request.config.ha;
  if (ha?.tke?.vip) return { address: ha.tke.vip, source: 'tke-ha-vip' };
  if (ha?.thirdParty?.vip) return { address: ha.thirdParty.vip, source: 'third-party-ha-vip' };
  // The schema requires at least one machine.
  const [firstMachine] = request.cluster.spec.machines;
  return { address: firstMachine!.ip, source: 'first-machine' };
}
