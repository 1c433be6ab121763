/**
 * The arithmetic of a remote-write load, apart from any server: what each
 * phase's writes came to, and which acknowledged samples a query returned.
 */

/** One remote-write request of the load, carrying one sample. */
export interface WriteRecord {
  /** The phase the load was in when the write was sent. */
  phase: string;
  /** The sample's timestamp, which is also when the write was sent (ms since the epoch). */
  timestampMs: number;
  /** The sample's value: the write's sequence number, from 1. */
  value: number;
  /** When the answer, or the failure, came (ms since the epoch). */
  endedMs: number;
  /** A 2xx answer: Receive took responsibility for the sample. */
  acknowledged: boolean;
  /** Why a write was refused: `HTTP 503: ...`, `ECONNRESET`, `no answer within 5000 ms`. */
  reason?: string;
}

export interface PhaseReport {
  phase: string;
  sent: number;
  acknowledged: number;
  refused: number;
  /** When the phase's first and last refused writes were sent. */
  firstRefusedMs?: number;
  lastRefusedMs?: number;
  /** From the first refused write's sending to the last refused write's answer. */
  refusedOverMs: number;
  /**
   * The longest run of consecutive refused writes (no acknowledged write in
   * between), from its first write's sending to its last write's answer: how
   * long a writer saw the data path closed at a stretch.
   */
  longestRefusalMs: number;
  longestRefusalWrites: number;
  /** How many refused writes gave each reason. */
  reasons: Record<string, number>;
}

interface RefusalRun {
  phase: string;
  writes: number;
  ms: number;
}

/** Consecutive refused writes of one phase; an acknowledged write or a new phase ends a run. */
function refusalRuns(records: readonly WriteRecord[]): RefusalRun[] {
  const runs: RefusalRun[] = [];
  let first: WriteRecord | undefined;
  let writes = 0;
  const close = (last: WriteRecord): void => {
    if (first) runs.push({ phase: first.phase, writes, ms: last.endedMs - first.timestampMs });
    first = undefined;
    writes = 0;
  };
  records.forEach((record, i) => {
    if (record.acknowledged) return;
    first ??= record;
    writes += 1;
    const next = records[i + 1];
    if (!next || next.acknowledged || next.phase !== record.phase) close(record);
  });
  return runs;
}

/**
 * A report per phase, in the order the phases were entered (`phases`, with
 * repeats; a phase without writes reports zeros). `records` are in the order
 * the writes were sent.
 */
export function phaseReports(phases: readonly string[], records: readonly WriteRecord[]): PhaseReport[] {
  const runs = refusalRuns(records);
  return [...new Set(phases)].map((phase) => {
    const own = records.filter((r) => r.phase === phase);
    const refused = own.filter((r) => !r.acknowledged);
    const longest = runs.filter((r) => r.phase === phase).reduce<RefusalRun | undefined>((a, b) => (a && a.ms >= b.ms ? a : b), undefined);
    const reasons: Record<string, number> = {};
    for (const r of refused) reasons[r.reason ?? 'unknown'] = (reasons[r.reason ?? 'unknown'] ?? 0) + 1;
    const firstRefused = refused[0];
    const lastRefused = refused.at(-1);
    return {
      phase,
      sent: own.length,
      acknowledged: own.length - refused.length,
      refused: refused.length,
      firstRefusedMs: firstRefused?.timestampMs,
      lastRefusedMs: lastRefused?.timestampMs,
      refusedOverMs: firstRefused && lastRefused ? lastRefused.endedMs - firstRefused.timestampMs : 0,
      longestRefusalMs: longest?.ms ?? 0,
      longestRefusalWrites: longest?.writes ?? 0,
      reasons,
    };
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** One line for a closing note: `scale up: 150 writes, 143 acknowledged, 7 refused over 1.6 s (longest run 7 writes, 1.6 s)`. */
export function describePhase(report: PhaseReport): string {
  const head = `${report.phase}: ${report.sent} writes, ${report.acknowledged} acknowledged`;
  if (report.refused === 0) return `${head}, none refused`;
  return `${head}, ${report.refused} refused over ${seconds(report.refusedOverMs)} ` +
    `(longest run ${report.longestRefusalWrites} writes, ${seconds(report.longestRefusalMs)})`;
}

/** A sample as a query returned it: timestamp in ms, value as Prometheus writes it. */
export interface ReturnedSample {
  timestampMs: number;
  value: string;
}

export interface ReadBack {
  acknowledged: number;
  /** Acknowledged samples returned with their exact timestamp and value. */
  found: number;
  /** Timestamps (ms) of the acknowledged samples not returned. */
  missing: number[];
  /** Refused writes whose samples were returned anyway: Receive stored them before answering an error. */
  refusedButReturned: number;
}

const key = (timestampMs: number, value: number): string => `${timestampMs} ${value}`;

/** Which written samples a query returned, matched by exact timestamp and value (from any series returned). */
export function compareReturned(records: readonly WriteRecord[], returned: readonly ReturnedSample[]): ReadBack {
  const keys = new Set(returned.map((s) => key(s.timestampMs, Number(s.value))));
  const acknowledged = records.filter((r) => r.acknowledged);
  const missing = acknowledged.filter((r) => !keys.has(key(r.timestampMs, r.value))).map((r) => r.timestampMs);
  return {
    acknowledged: acknowledged.length,
    found: acknowledged.length - missing.length,
    missing,
    refusedButReturned: records.filter((r) => !r.acknowledged && keys.has(key(r.timestampMs, r.value))).length,
  };
}

/** One line for a closing note: `Query returned 43 of 43 acknowledged samples after 10.2 s; 1 refused sample came back anyway`. */
export function describeReadBack(readBack: ReadBack, waitedMs: number): string {
  const refused = readBack.refusedButReturned === 1 ? '1 refused sample came' : `${readBack.refusedButReturned} refused samples came`;
  return `Query returned ${readBack.found} of ${readBack.acknowledged} acknowledged samples after ${seconds(waitedMs)}; ${refused} back anyway`;
}
