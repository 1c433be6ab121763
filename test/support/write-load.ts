/**
 * A steady remote-write load through Receive's NodePort, as a business
 * cluster's Prometheus sends it, kept up while a test changes the cluster;
 * afterwards, the proof that Query returns every sample Receive acknowledged.
 */
import { request } from 'node:http';
import type * as k8s from '@kubernetes/client-node';
import { apiServerGetJson } from '../../src/kube/proxy';
import { encodeWriteRequest, REMOTE_WRITE_HEADERS } from '../../src/prometheus/remote-write';
import { compareReturned, phaseReports, type PhaseReport, type ReadBack, type ReturnedSample, type WriteRecord } from './write-load-report';

export interface WriteLoadOptions {
  /** Receive's remote-write URL, reachable from this process. */
  url: string;
  /** The one series written: `__name__` and a label unique to the run. */
  labels: Record<string, string>;
  /** From one write's start to the next one's; a write taking longer delays the next. */
  intervalMs?: number;
  /** A write without an answer after this long is refused. */
  timeoutMs?: number;
  /** The phase of the first writes. */
  phase?: string;
}

export interface WriteLoad {
  /** The series' PromQL selector. */
  readonly selector: string;
  /** Writes from now on belong to phase `name`. */
  phase(name: string): void;
  /** Stops the load; resolves once the write in flight has ended. */
  stop(): Promise<void>;
  /** Every finished write, in the order sent. */
  records(): WriteRecord[];
  report(): PhaseReport[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `{__name__="...",run="..."}`; PromQL's string literals take JSON's escapes. */
function selectorOf(labels: Record<string, string>): string {
  const invalid = Object.keys(labels).filter((name) => !LABEL_NAME.test(name));
  if (invalid.length > 0) throw new Error(`labels: ${invalid.map((n) => JSON.stringify(n)).join(', ')} is not a Prometheus label name`);
  if (!labels.__name__) throw new Error('labels: __name__ is required (the metric name)');
  return `{${Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(',')}}`;
}

/**
 * One POST on a connection of its own: each write finds the NodePort as a
 * new client would at that moment, not through a connection to a pod that
 * has since gone. Resolves with why the write was refused, or undefined.
 */
function postSample(url: string, body: Uint8Array, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const settle = (reason: string | undefined): void => {
      clearTimeout(timer);
      resolve(reason);
    };
    const req = request(url, { method: 'POST', headers: { ...REMOTE_WRITE_HEADERS, 'Content-Length': body.length }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8').trim().split('\n')[0]?.slice(0, 160);
        settle(status >= 200 && status < 300 ? undefined : `HTTP ${status}: ${text || '(empty body)'}`);
      });
      res.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? err.message));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? err.message));
    req.end(body);
  });
}

export function startWriteLoad(options: WriteLoadOptions): WriteLoad {
  const { url, labels, intervalMs = 200, timeoutMs = 5_000 } = options;
  if (!URL.canParse(url) || new URL(url).protocol !== 'http:') throw new Error(`url: ${JSON.stringify(url)} is not an http:// URL`);
  if (!(intervalMs > 0)) throw new Error(`intervalMs: must be a positive number of milliseconds, got ${intervalMs}`);
  if (!(timeoutMs > 0)) throw new Error(`timeoutMs: must be a positive number of milliseconds, got ${timeoutMs}`);
  const selector = selectorOf(labels);
  const phases = [options.phase ?? 'start'];
  const records: WriteRecord[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;

  const loop = (async () => {
    let lastTimestampMs = 0;
    for (let value = 1; !stopped; value++) {
      const phase = phases.at(-1) as string;
      // Strictly increasing, as Receive requires of one series, even within a millisecond.
      const timestampMs = Math.max(Date.now(), lastTimestampMs + 1);
      lastTimestampMs = timestampMs;
      const reason = await postSample(url, encodeWriteRequest([{ labels, samples: [{ value, timestampMs }] }]), timeoutMs);
      const endedMs = Date.now();
      records.push({ phase, timestampMs, value, endedMs, acknowledged: reason === undefined, ...(reason === undefined ? {} : { reason }) });
      const pause = timestampMs + intervalMs - endedMs;
      if (pause > 0 && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();

  return {
    selector,
    phase(name) {
      if (!name) throw new Error('phase: a name is required');
      phases.push(name);
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
    records: () => [...records],
    report: () => phaseReports(phases, records),
  };
}

interface QueryAnswer {
  data: { resultType: string; result: { metric: Record<string, string>; values?: [number, string][] }[] };
}

/** Every raw sample of the load's series over the time it wrote, as Query returns them. */
async function returnedSamples(kc: k8s.KubeConfig, namespace: string, records: readonly WriteRecord[], selector: string, dedup: boolean): Promise<ReturnedSample[]> {
  const first = records[0]?.timestampMs ?? 0;
  const last = records.at(-1)?.timestampMs ?? 0;
  // A range selector evaluated at one instant returns the raw samples in (time - range, time].
  const params = new URLSearchParams({
    query: `${selector}[${last - first + 2}ms]`,
    time: ((last + 1) / 1000).toFixed(3),
    dedup: String(dedup),
    // A store failing during the query fails it rather than leaving its samples out (a store Query
    // has not discovered yet is left out all the same: hence the wait below).
    partial_response: 'false',
  });
  const answer = await apiServerGetJson<QueryAnswer>(kc, `/api/v1/namespaces/${namespace}/services/http:thanos-query:9090/proxy/api/v1/query?${params}`);
  if (answer.data.resultType !== 'matrix') throw new Error(`Query answered a ${answer.data.resultType}, not a matrix`);
  return answer.data.result.flatMap((series) => (series.values ?? []).map(([t, value]) => ({ timestampMs: Math.round(t * 1000), value })));
}

export interface QueryReadBack extends ReadBack {
  /** Of the missing samples, those that a query without deduplication returns: stored, but hidden by Query's deduplication. */
  missingButStored: number[];
  /** How long Query took to return every acknowledged sample, or how long it was given. */
  waitedMs: number;
}

/**
 * Asks Thanos Query (through the API server's service proxy, deduplicated as
 * users query) for the load's series until every acknowledged sample is
 * returned or `waitMs` has passed, and says which were not. Call it after
 * `stop()`, or it checks the writes finished so far.
 *
 * The default wait covers Query rediscovering a Receive pod that came back
 * with a new address: until then Query answers without that pod's samples,
 * and without an error (seen here: 10 to 50 s after the pod was Ready, from
 * Query's 30 s DNS discovery interval on top of cluster DNS's 30 s cache).
 */
export async function missingAcknowledged(
  kc: k8s.KubeConfig,
  namespace: string,
  load: WriteLoad,
  { waitMs = 90_000 }: { waitMs?: number } = {},
): Promise<QueryReadBack> {
  const records = load.records();
  if (records.length === 0) throw new Error(`the load of ${load.selector} has not finished a write yet: nothing to look for`);
  const started = Date.now();
  for (;;) {
    let readBack: ReadBack | undefined;
    let error: Error | undefined;
    try {
      readBack = compareReturned(records, await returnedSamples(kc, namespace, records, load.selector, true));
    } catch (err) {
      error = err as Error;
    }
    const waitedMs = Date.now() - started;
    if (readBack && (readBack.missing.length === 0 || waitedMs > waitMs)) {
      const stored = readBack.missing.length === 0
        ? new Set<number>()
        : new Set((await returnedSamples(kc, namespace, records, load.selector, false)).map((s) => s.timestampMs));
      return { ...readBack, missingButStored: readBack.missing.filter((t) => stored.has(t)), waitedMs };
    }
    if (error && waitedMs > waitMs) throw new Error(`Query did not answer for ${load.selector} within ${waitMs} ms: ${error.message}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
