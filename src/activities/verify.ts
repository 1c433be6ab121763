/**
 * The data path as business clusters and tke-monitor use it: a canary sample
 * written with Prometheus remote-write to exactly the URL business clusters
 * are given (Receive's NodePort on GLOBAL_NODE_IP), then read back through
 * Query, reached through the API server's service proxy so that it works
 * wherever the worker has the kubeconfig.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { apiServerGet } from '../kube/proxy';
import { encodeWriteRequest, REMOTE_WRITE_HEADERS } from '../prometheus/remote-write';
import type { ThanosSettings } from '../request/defaults';
import { GLOBAL_NODE_IP_FIELDS } from '../request/global-node-ip';
import { queryApiProxyPath } from '../render/thanos/topology';
import { receiveRemoteWriteAddress } from '../render/tke/controller-toml';

/** The canary's metric name: recognisable in any Thanos that ever received one. */
export const CANARY_METRIC = 'thanos_installer_canary';
const WRITE_TIMEOUT_MS = 10_000;
const READ_INTERVAL_MS = 500;

export interface DataPathCheck {
  /** The canary's PromQL selector. */
  canary: string;
  remoteWriteUrl: string;
  writeMs: number;
  /** From the write's answer until Query returned the sample. */
  readBackMs: number;
  summary: string;
}

/** Error types of a failed data-path check, so that clients can tell the causes apart. */
export const DATA_PATH_FAILURES = {
  unreachable: 'RemoteWriteUnreachable',
  receiveError: 'ReceiveAnsweredError',
  queryUnreachable: 'QueryUnreachable',
  receiveNotInQuery: 'ReceiveNotAmongQueryStores',
  notFound: 'CanaryNotReturned',
} as const;

/**
 * POSTs a remote-write body on a connection of its own (no keep-alive): the
 * check is that a new connection to the NodePort works now, as a business
 * cluster's would, not that an old one still does.
 */
function post(url: string, body: Uint8Array): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...REMOTE_WRITE_HEADERS, 'Content-Length': body.length }, agent: false, timeout: WRITE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${WRITE_TIMEOUT_MS / 1000}s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

async function writeCanary(url: string, selector: Record<string, string>, settings: ThanosSettings): Promise<{ ms: number; status: number }> {
  const body = encodeWriteRequest([{ labels: selector, samples: [{ value: 1, timestampMs: Date.now() }] }]);
  const started = Date.now();
  let response: { status: number; text: string };
  try {
    response = await post(url, body);
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw ApplicationFailure.create({
      type: DATA_PATH_FAILURES.unreachable,
      message:
        `the remote-write NodePort ${url} is unreachable from the worker (${code}): check the firewall between the installer ` +
        `and the node, kube-proxy on the node, and GLOBAL_NODE_IP ${settings.globalNodeIp.address} (from ${GLOBAL_NODE_IP_FIELDS[settings.globalNodeIp.source]})`,
    });
  }
  const ms = Date.now() - started;
  if (response.status >= 200 && response.status < 300) return { ms, status: response.status };
  const text = response.text.trim().slice(0, 500);
  throw ApplicationFailure.create({
    type: DATA_PATH_FAILURES.receiveError,
    // A 4xx says the request itself is wrong: trying again cannot help.
    nonRetryable: response.status >= 400 && response.status < 500 && response.status !== 429,
    message: `Receive answered the canary write to ${url} with HTTP ${response.status}: ${text || '(empty body)'}`,
  });
}

interface QueryAnswer<T> {
  status: string;
  data: T;
}

/** The store types Query lists (receive, store, rule, ...), each with at least one endpoint without an error. */
async function queryStores(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
  const { status, body } = await apiServerGet(kc, queryApiProxyPath(namespace, '/api/v1/stores'));
  if (status !== 200) throw new Error(`HTTP ${status}: ${body.slice(0, 300)}`);
  const stores = (JSON.parse(body) as QueryAnswer<Record<string, { lastError: string | null }[]>>).data ?? {};
  return Object.entries(stores).filter(([, list]) => list.some((s) => !s.lastError)).map(([type]) => type).sort();
}

export function verifyActivities(kc: k8s.KubeConfig) {
  return {
    /**
     * Writes a canary unique to this attempt, then asks Query for it until it
     * appears or `timeoutSeconds` pass. Every failure names its cause and
     * where to look; all but a refused write are worth retrying.
     */
    async verifyDataPath(settings: ThanosSettings, timeoutSeconds: number): Promise<DataPathCheck> {
      const ctx = Context.current();
      const url = `${receiveRemoteWriteAddress(settings)}/api/v1/receive`;
      const labels = { __name__: CANARY_METRIC, canary_id: randomUUID() };
      const selector = `${CANARY_METRIC}{canary_id="${labels.canary_id}"}`;
      const write = await writeCanary(url, labels, settings);
      ctx.heartbeat({ written: selector, writeMs: write.ms });

      const written = Date.now();
      const deadline = written + timeoutSeconds * 1000;
      let lastAnswer = '';
      for (;;) {
        try {
          const { status, body } = await apiServerGet(kc, queryApiProxyPath(settings.namespace, `/api/v1/query?query=${encodeURIComponent(selector)}`));
          if (status === 200) {
            const result = (JSON.parse(body) as QueryAnswer<{ result: unknown[] }>).data.result;
            if (result.length > 0) {
              const readBackMs = Date.now() - written;
              return {
                canary: selector,
                remoteWriteUrl: url,
                writeMs: write.ms,
                readBackMs,
                summary: `canary ${selector} written to ${url} in ${write.ms} ms (HTTP ${write.status}), returned by Query after ${(readBackMs / 1000).toFixed(1)} s`,
              };
            }
            lastAnswer = 'Query answered without the canary';
          } else {
            lastAnswer = `HTTP ${status}: ${body.trim().slice(0, 300)}`;
          }
        } catch (err) {
          lastAnswer = (err as Error).message;
        }
        ctx.heartbeat({ written: selector, writeMs: write.ms, waitingMs: Date.now() - written });
        if (Date.now() > deadline) break;
        await ctx.sleep(READ_INTERVAL_MS);
      }

      let stores: string[];
      try {
        stores = await queryStores(kc, settings.namespace);
      } catch (err) {
        throw ApplicationFailure.create({
          type: DATA_PATH_FAILURES.queryUnreachable,
          message: `Query is not reachable through the API server's service proxy (${queryApiProxyPath(settings.namespace, '')}): ${(err as Error).message}`,
        });
      }
      if (!stores.includes('receive')) {
        throw ApplicationFailure.create({
          type: DATA_PATH_FAILURES.receiveNotInQuery,
          message: `Query does not list Receive among its stores (it lists: ${stores.join(', ') || 'none'}): see Query's --endpoint flags and its log for DNS lookups of the receive Service`,
        });
      }
      throw ApplicationFailure.create({
        type: DATA_PATH_FAILURES.notFound,
        message: `the canary ${selector}, accepted by Receive, did not come back from Query within ${timeoutSeconds}s (last answer: ${lastAnswer}); Query lists ${stores.join(', ')}`,
      });
    },
  };
}
