import type { ThanosComponent } from '../../request/defaults';

/** Ports every Thanos component listens on (the seed's table); Query serves HTTP on 9090 instead of 10902. */
export const GRPC_PORT = 10901;
export const HTTP_PORT = 10902;
export const QUERY_HTTP_PORT = 9090;
export const REMOTE_WRITE_PORT = 19291;

/** The name of a component's workload and Service, e.g. `thanos-receive`. */
export function resourceName(component: ThanosComponent): string {
  return `thanos-${component}`;
}

/** The cluster DNS name of a component's Service. */
export function serviceHost(component: ThanosComponent, namespace: string): string {
  return `${resourceName(component)}.${namespace}.svc.cluster.local`;
}

/** A DNS SRV lookup of a named Service port, as Query and Rule discover their peers. */
export function dnsSrvAddress(portName: 'grpc' | 'http', component: ThanosComponent, namespace: string): string {
  return `dnssrv+_${portName}._tcp.${serviceHost(component, namespace)}`;
}

/** Query's HTTP API as the Kubernetes API server proxies it: how the installer asks Query from outside the cluster. */
export function queryApiProxyPath(namespace: string, path: string): string {
  return `/api/v1/namespaces/${namespace}/services/http:${resourceName('query')}:${QUERY_HTTP_PORT}/proxy${path}`;
}
