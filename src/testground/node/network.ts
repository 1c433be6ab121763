/**
 * The addresses of the test ground's own network. They exist only inside the
 * network namespace the test ground creates (and the pods' namespaces below
 * it): no interface there leads off the machine, there is no default route,
 * and a drop rule refuses anything outside these ranges. Outside, on the
 * host, the test ground uses loopback only.
 */

/** The LAN of the global cluster's node: the node and the business cluster live here. */
export const NODE_LAN = '10.250.0.0/24';
/** GLOBAL_NODE_IP: where business clusters reach the node, and where MinIO listens. */
export const NODE_IP = '10.250.0.1';
/** The business cluster's Prometheus, outside the global cluster, on the node's LAN. */
export const BUSINESS_CLUSTER_IP = '10.250.0.2';
export const NODE_LAN_PREFIX = 24;
/** The bridge on which the node address lives. */
export const NODE_BRIDGE = 'tglan0';

/** The cluster's pod range (kube-proxy's clusterCIDR) and the node's share of it. */
export const CLUSTER_POD_RANGE = '10.244.0.0/16';
export const POD_CIDR = '10.244.0.0/24';
export const POD_GATEWAY = '10.244.0.1';
/** The CNI bridge plugin's bridge for pods. */
export const POD_BRIDGE = 'cni0';

export const SERVICE_CIDR = '10.96.0.0/16';
/** The `kubernetes` Service: the first address of the service range. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const CLUSTER_DNS_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';

/** Every range a packet inside the test ground may be addressed to. */
export const CONTAINED_RANGES = ['127.0.0.0/8', NODE_LAN, CLUSTER_POD_RANGE, SERVICE_CIDR];

/** The real node's name; kwok's fake nodes are tke-node-N. */
export const REAL_NODE_NAME = 'tke-global-1';
