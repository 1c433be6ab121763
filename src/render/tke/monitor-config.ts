import { dump, load } from 'js-yaml';
import { TKE_NAMESPACE } from '../../request/defaults';
import { isRecord } from '../../request/field-error';
import { QUERY_HTTP_PORT, serviceHost } from '../thanos/topology';

/** Where tke-monitor-api and tke-monitor-controller read metrics: the Query Service. */
export function thanosQueryAddress(namespace: string): string {
  return `http://${serviceHost('query', namespace)}:${QUERY_HTTP_PORT}`;
}

/** The Query address in TKE's namespace, as the TKE docs give it. */
export const THANOS_QUERY_ADDRESS = thanosQueryAddress(TKE_NAMESPACE);

/** The `storage` of a MonitorConfiguration that points tke-monitor at Thanos (and no other backend). */
export function thanosMonitorStorage(queryAddress: string) {
  return { thanos: { servers: [{ address: queryAddress }] } };
}

/**
 * Rewrites `tke-monitor-config.yaml` (a MonitorConfiguration) so that
 * `storage` is exactly the Thanos backend: tke-monitor refuses to start with
 * two backends. Every other key keeps its value and its place.
 */
export function setThanosMonitorStorage(original: string, queryAddress: string): string {
  const document = load(original);
  if (!isRecord(document)) throw new Error('tke-monitor-config.yaml is not a YAML mapping (a MonitorConfiguration)');
  // Spreading keeps `storage` where it was, or appends it when the file had none.
  const updated = { ...document, storage: thanosMonitorStorage(queryAddress) };
  return dump(updated, { lineWidth: -1, noRefs: true });
}

/** The Thanos address a MonitorConfiguration's `storage` points at, if it points at Thanos. */
export function thanosAddressIn(text: string): string | undefined {
  let document: unknown;
  try {
    document = load(text);
  } catch {
    return undefined;
  }
  const thanos = isRecord(document) && isRecord(document.storage) ? document.storage.thanos : undefined;
  const servers = isRecord(thanos) ? thanos.servers : undefined;
  const address = Array.isArray(servers) && isRecord(servers[0]) ? servers[0].address : undefined;
  return typeof address === 'string' ? address : undefined;
}
