import { compareReturned, describePhase, describeReadBack, phaseReports, type WriteRecord } from '../support/write-load-report';
import { startWriteLoad } from '../support/write-load';

const T0 = 1_800_000_000_000;

/**
 * Writes every 200 ms from T0, each answered 20 ms after it was sent, unless
 * `took` says otherwise; `outcome` is 'ok' or a refusal reason.
 */
function writes(phase: string, outcomes: string[], from = 0, took: Record<number, number> = {}): WriteRecord[] {
  return outcomes.map((outcome, i) => {
    const value = from + i + 1;
    const timestampMs = T0 + (value - 1) * 200;
    return {
      phase,
      timestampMs,
      value,
      endedMs: timestampMs + (took[i] ?? 20),
      acknowledged: outcome === 'ok',
      ...(outcome === 'ok' ? {} : { reason: outcome }),
    };
  });
}

describe('the report of a write load', () => {
  test('counts each phase\'s writes and spans its refusals from the first one\'s sending to the last one\'s answer', () => {
    const records = [
      ...writes('steady', ['ok', 'ok', 'ok']),
      // Two runs: 3 refusals (the last timing out after 5 s), then 1; an acknowledged write between them.
      ...writes('scale up', ['ok', 'ECONNRESET', 'ECONNRESET', 'no answer within 5000 ms', 'ok', 'HTTP 503: hashring not ready', 'ok'], 3, { 3: 5_000 }),
    ];
    const [steady, scaleUp] = phaseReports(['steady', 'scale up'], records);
    expect(steady).toEqual({
      phase: 'steady', sent: 3, acknowledged: 3, refused: 0,
      firstRefusedMs: undefined, lastRefusedMs: undefined, refusedOverMs: 0,
      longestRefusalMs: 0, longestRefusalWrites: 0, reasons: {},
    });
    expect(scaleUp).toEqual({
      phase: 'scale up', sent: 7, acknowledged: 3, refused: 4,
      firstRefusedMs: T0 + 4 * 200,
      lastRefusedMs: T0 + 8 * 200,
      // From the write sent at 800 ms to the answer of the one sent at 1600 ms.
      refusedOverMs: 8 * 200 + 20 - 4 * 200,
      // 800 ms to the timed-out write sent at 1200 ms, answered 5 s later.
      longestRefusalMs: 6 * 200 + 5_000 - 4 * 200,
      longestRefusalWrites: 3,
      reasons: { 'ECONNRESET': 2, 'no answer within 5000 ms': 1, 'HTTP 503: hashring not ready': 1 },
    });
  });

  test('a run of refusals is cut where the phase changes, and each part counts in its own phase', () => {
    const records = [...writes('upgrade', ['ok', 'ECONNREFUSED', 'ECONNREFUSED']), ...writes('after', ['ECONNREFUSED', 'ok'], 3)];
    const [upgrade, after] = phaseReports(['upgrade', 'after'], records);
    expect(upgrade).toMatchObject({ refused: 2, longestRefusalWrites: 2, longestRefusalMs: 200 + 20 });
    expect(after).toMatchObject({ refused: 1, longestRefusalWrites: 1, longestRefusalMs: 20 });
  });

  test('a phase entered twice is one report over both stretches; a phase without writes reports zeros, in the order entered', () => {
    const records = [
      ...writes('steady', ['ok', 'HTTP 500: x']),
      ...writes('scale down', ['ECONNRESET'], 2),
      ...writes('steady', ['HTTP 500: x', 'HTTP 500: x', 'ok'], 3),
    ];
    const reports = phaseReports(['steady', 'scale down', 'steady', 'credentials'], records);
    expect(reports.map((r) => [r.phase, r.sent, r.refused, r.longestRefusalWrites])).toEqual([
      ['steady', 5, 3, 2],
      ['scale down', 1, 1, 1],
      ['credentials', 0, 0, 0],
    ]);
    // The steady phase's refusals span the scale-down between them.
    expect(reports[0]?.refusedOverMs).toBe(4 * 200 + 20 - 1 * 200);
  });

  test('reads as a closing note\'s line', () => {
    const reports = phaseReports(['steady', 'restart'], [
      ...writes('steady', ['ok', 'ok']),
      ...writes('restart', ['ok', ...Array<string>(7).fill('ECONNRESET'), 'ok'], 2),
    ]);
    expect(reports.map(describePhase)).toEqual([
      'steady: 2 writes, 2 acknowledged, none refused',
      'restart: 9 writes, 2 acknowledged, 7 refused over 1.2 s (longest run 7 writes, 1.2 s)',
    ]);
  });
});

describe('which acknowledged samples a query returned', () => {
  const records = writes('steady', ['ok', 'ok', 'HTTP 503: x', 'ok', 'ECONNRESET']);
  const sample = (value: number, valueText = String(value)) => ({ timestampMs: T0 + (value - 1) * 200, value: valueText });

  test('an acknowledged sample counts as found only with its exact timestamp and value, from whichever series returned it', () => {
    const returned = [
      sample(1),
      // Another replica's series holding the fourth sample; the second came back with another value.
      { timestampMs: T0 + 200, value: '7' },
      { ...sample(4), timestampMs: T0 + 3 * 200 + 1 },
      sample(4),
    ];
    expect(compareReturned(records, returned)).toEqual({ acknowledged: 3, found: 2, missing: [T0 + 200], refusedButReturned: 0 });
  });

  test('refused samples that came back anyway are counted, not held against Receive', () => {
    const returned = [sample(1), sample(2), sample(3), sample(4)];
    const readBack = compareReturned(records, returned);
    expect(readBack).toEqual({ acknowledged: 3, found: 3, missing: [], refusedButReturned: 1 });
    expect(describeReadBack(readBack, 10_240)).toBe('Query returned 3 of 3 acknowledged samples after 10.2 s; 1 refused sample came back anyway');
  });
});

describe('starting a load with bad options', () => {
  const url = 'http://127.0.0.1:9/api/v1/receive';
  test.each([
    ['url: "https://127.0.0.1/api/v1/receive" is not an http:// URL', { url: 'https://127.0.0.1/api/v1/receive', labels: { __name__: 'x' } }],
    ['labels: __name__ is required (the metric name)', { url, labels: { run: 'r1' } }],
    ['labels: "run-id" is not a Prometheus label name', { url, labels: { __name__: 'x', 'run-id': 'r1' } }],
    ['intervalMs: must be a positive number of milliseconds, got 0', { url, labels: { __name__: 'x' }, intervalMs: 0 }],
  ])('is refused before anything is sent: %s', (message, options) => {
    expect(() => startWriteLoad(options)).toThrow(message);
  });
});
