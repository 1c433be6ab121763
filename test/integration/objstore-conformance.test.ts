/**
 * Differential conformance of the project's objstore validator against the
 * real Thanos v0.42.4 binary.
 *
 * For every case of test/fixtures/objstore-corpus.ts:
 *  - the project's validator (validateInstallRequest on the seed request with
 *    config.monitor.thanos.bucketConfig replaced by the case, and
 *    validateThanosConfig, which must agree) says accept or reject;
 *  - the real Thanos binary runs `tools bucket ls` on the YAML the project
 *    would render (renderObjstoreYaml) for an accepted config, or on what the
 *    user gave (js-yaml dump of the raw bucketConfig) for a rejected one,
 *    sealed off the network (test/support/thanos-objstore.ts), and its verdict
 *    is classified (parse, construct, runtime: rejected; network, tls,
 *    timeout, ok: accepted).
 * Then:
 *  (a) no config the validator accepts may be rejected by Thanos (parse,
 *      construct, and also runtime: a deterministic failure of the first
 *      request, which crash-loops a pod just as surely);
 *  (b) every config the validator rejects but Thanos accepts carries a written
 *      justification in the corpus;
 *  (c) the corpus covers the ten providers with at least 60 cases, and the
 *      configs the validator accepts use every optional field of the schema
 *      (computed from the TypeBox schemas, recursively) but those naming files
 *      in the pods, which it refuses whenever set;
 *  (d) the validator accepts no config of which Thanos silently ignores or
 *      rewrites a part (the cases probing 'silent-override': nested settings
 *      it overrides, fields a non-strict provider drops, $(NAME) expanded
 *      into a secret).
 * This test needs neither the test ground's servers nor the network: only the
 * Thanos binary built by the test ground, unshare, ip and openssl.
 *
 * The full table of outcomes is printed and written to
 * $TMPDIR/objstore-conformance-report.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { renderObjstoreYaml } from '../../src/render/objstore';
import { BucketConfigSchema, OBJSTORE_PROVIDERS, POD_FILE_FIELDS } from '../../src/request/objstore';
import { validateInstallRequest, validateThanosConfig, type FieldError } from '../../src/request/validate';
import { OBJSTORE_CORPUS, PROVIDERS, type ObjstoreCase } from '../fixtures/objstore-corpus';
import { mapLimit, THANOS_ACCEPTS, THANOS_REJECTS, ThanosSandbox, type ThanosRun } from '../support/thanos-objstore';

jest.setTimeout(240_000);

const CONCURRENCY = 4;
const SEED = join(__dirname, '..', 'fixtures', 'seed-request.json');
const REPORT = join(tmpdir(), 'objstore-conformance-report.json');

interface Outcome {
  case: ObjstoreCase;
  validator: 'accept' | 'reject';
  validatorErrors: FieldError[];
  /** validateThanosConfig's verdict on the same bucketConfig. */
  retryValidator: 'accept' | 'reject';
  yaml: string;
  thanos: ThanosRun;
}

/** The case as a request body would carry it (JSON), so no test object is shared with the validator. */
const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function validate(c: ObjstoreCase): Pick<Outcome, 'validator' | 'validatorErrors' | 'retryValidator' | 'yaml'> {
  const request = JSON.parse(readFileSync(SEED, 'utf8')) as { config: { monitor: { thanos: Record<string, unknown> } } };
  request.config.monitor.thanos.bucketConfig = asJson(c.bucketConfig);
  const result = validateInstallRequest(request);
  const retry = validateThanosConfig({ bucketConfig: asJson(c.bucketConfig) }, { address: '127.0.1.1', source: 'first-machine' });
  return {
    validator: result.ok ? 'accept' : 'reject',
    validatorErrors: result.ok ? [] : result.errors,
    retryValidator: retry.ok ? 'accept' : 'reject',
    yaml: result.ok
      ? renderObjstoreYaml(result.settings.bucketConfig)
      : dump(asJson(c.bucketConfig), { lineWidth: -1, noRefs: true }),
  };
}

const rejectedByThanos = (o: Outcome) => THANOS_REJECTS.includes(o.thanos.verdict);
const acceptedByThanos = (o: Outcome) => THANOS_ACCEPTS.includes(o.thanos.verdict);

function line(o: Outcome): string {
  const errors = o.validatorErrors.map((e) => `${e.path.replace('config.monitor.thanos.bucketConfig', 'bc')}: ${e.message}`).join('; ');
  return (
    `  [${o.case.probes}] ${o.case.name}\n` +
    `      validator: ${o.validator}${errors ? ` (${errors})` : ''}\n` +
    `      thanos:    ${o.thanos.verdict} in ${o.thanos.seconds.toFixed(1)}s${o.thanos.error ? `: ${o.thanos.error}` : ''}`
  );
}

let sandbox: ThanosSandbox | undefined;
let outcomes: Outcome[] = [];
let runSeconds = 0;

beforeAll(async () => {
  sandbox = await ThanosSandbox.create();
  const started = Date.now();
  outcomes = await mapLimit(OBJSTORE_CORPUS, CONCURRENCY, async (c) => {
    const verdict = validate(c);
    const needsDefaultCredentials = c.provider === 'GCS' && !('service_account' in c.bucketConfig.config);
    const thanos = await sandbox!.run(verdict.yaml, { env: c.env, tlsProbe: c.tlsProbe, googleCredentials: needsDefaultCredentials });
    return { case: c, ...verdict, thanos };
  });
  runSeconds = (Date.now() - started) / 1000;
  writeFileSync(
    REPORT,
    JSON.stringify(
      outcomes.map((o) => ({
        name: o.case.name,
        provider: o.case.provider,
        probes: o.case.probes,
        validator: o.validator,
        validatorErrors: o.validatorErrors,
        thanos: o.thanos.verdict,
        thanosError: o.thanos.error,
        seconds: o.thanos.seconds,
        yaml: o.yaml,
      })),
      null,
      2,
    ),
  );
  const table = outcomes.map(line).join('\n');
  console.log(`objstore conformance: ${outcomes.length} cases, Thanos runs took ${runSeconds.toFixed(1)}s (report: ${REPORT})\n${table}`);
});

afterAll(() => sandbox?.remove());

describe('the sandbox', () => {
  test('has no way off this machine: an address outside is unreachable', async () => {
    // 192.0.2.1 is TEST-NET-1 (documentation only); inside the sandbox nothing routes anywhere but loopback.
    const run = await sandbox!.run(dump({ type: 'S3', config: { bucket: 'thanos', endpoint: '192.0.2.1:9000', insecure: true } }));
    expect(run.verdict).toBe('network');
    expect(run.error).toMatch(/network is unreachable/);
  });
});

describe('the corpus', () => {
  test('covers all ten providers with at least 60 cases', () => {
    const perProvider = Object.fromEntries(PROVIDERS.map((p) => [p, OBJSTORE_CORPUS.filter((c) => c.provider === p).length]));
    console.log(`cases per provider: ${JSON.stringify(perProvider)}`);
    expect(OBJSTORE_CORPUS.length).toBeGreaterThanOrEqual(60);
    for (const provider of PROVIDERS) {
      expect(OBJSTORE_CORPUS.some((c) => c.provider === provider && c.validator === 'accept')).toBe(true);
      expect(OBJSTORE_CORPUS.some((c) => c.provider === provider && c.validator === 'reject')).toBe(true);
    }
    expect(new Set(OBJSTORE_CORPUS.map((c) => c.name)).size).toBe(OBJSTORE_CORPUS.length);
    expect(Object.keys(OBJSTORE_PROVIDERS).sort()).toEqual([...PROVIDERS].sort());
  });

  test('the configs the validator accepts use every optional field of the schema it does not refuse outright', () => {
    // Fields naming files in the pods are known to the schema (so their error can say why) but refused whenever set.
    const refused = (field: string) => POD_FILE_FIELDS.some((path) => field.endsWith(`:config.${path.join('.')}`));
    const missing = [...optionalFields()].filter((field) => !usedFields().has(field) && !refused(field));
    expect(missing).toEqual([]);
  });

  test("each case declares the validator's verdict, and both validators agree", () => {
    const wrong = outcomes.filter((o) => o.validator !== o.case.validator).map((o) => `${o.case.name}: declared ${o.case.validator}, got ${o.validator}`);
    expect(wrong).toEqual([]);
    const split = outcomes.filter((o) => o.validator !== o.retryValidator).map((o) => o.case.name);
    expect(split).toEqual([]);
  });

  test('the cases built to show a Thanos behaviour show it', () => {
    const shown = outcomes.filter((o) => o.case.expectThanos !== undefined);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.map((o) => [o.case.name, o.thanos.verdict])).toEqual(shown.map((o) => [o.case.name, o.case.expectThanos]));
  });
});

describe('the validator against Thanos v0.42.4', () => {
  test('(a) accepts no config that Thanos refuses', () => {
    const disagreements = outcomes.filter((o) => o.validator === 'accept' && rejectedByThanos(o));
    if (disagreements.length > 0) console.log(`(a) accepted by the validator, refused by Thanos:\n${disagreements.map(line).join('\n')}`);
    expect(disagreements.map((o) => `${o.case.name} → ${o.thanos.verdict}: ${o.thanos.error}`)).toEqual([]);
  });

  test('(b) refuses a config Thanos accepts only with a written justification', () => {
    const refused = outcomes.filter((o) => o.validator === 'reject' && acceptedByThanos(o));
    const unjustified = refused.filter((o) => !o.case.justification?.trim());
    if (refused.length > 0) console.log(`(b) refused by the validator, accepted by Thanos:\n${refused.map(line).join('\n')}`);
    expect(unjustified.map((o) => o.case.name)).toEqual([]);
  });

  test('(d) accepts no config of which Thanos silently ignores or rewrites a part', () => {
    const probes = outcomes.filter((o) => o.case.probes === 'silent-override');
    expect(probes.length).toBeGreaterThan(0);
    const silent = probes.filter((o) => o.validator === 'accept');
    if (silent.length > 0) console.log(`(d) accepted by the validator, partly ignored by Thanos:\n${silent.map(line).join('\n')}`);
    expect(silent.map((o) => o.case.name)).toEqual([]);
  });
});

// --- schema coverage ---------------------------------------------------------

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  oneOf?: SchemaNode[];
  const?: unknown;
}

/** `TYPE:path` of every optional field, at any depth, of every provider's bucketConfig variant (prefix included). */
function optionalFields(): Set<string> {
  const fields = new Set<string>();
  const walk = (type: string, node: SchemaNode, path: string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const at = [...path, key];
      if (!(node.required ?? []).includes(key)) fields.add(`${type}:${at.join('.')}`);
      if (child.properties) walk(type, child, at);
    }
  };
  for (const variant of (BucketConfigSchema as unknown as SchemaNode).oneOf ?? []) {
    const type = String(variant.properties!.type!.const);
    const { config: _config, type: _type, ...topLevel } = variant.properties!;
    walk(type, { properties: topLevel, required: variant.required }, []);
    walk(type, OBJSTORE_PROVIDERS[type as keyof typeof OBJSTORE_PROVIDERS].schema as unknown as SchemaNode, ['config']);
  }
  return fields;
}

/** `TYPE:path` of every field the accepted cases set, following the schema (string maps are leaves). */
function usedFields(): Set<string> {
  const fields = new Set<string>();
  const walk = (type: string, node: SchemaNode | undefined, value: unknown, path: string[]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const at = [...path, key];
      fields.add(`${type}:${at.join('.')}`);
      const childNode = node?.properties?.[key];
      if (childNode?.properties) walk(type, childNode, child, at);
    }
  };
  for (const o of outcomes.filter((x) => x.validator === 'accept')) {
    const type = o.case.bucketConfig.type.toUpperCase() as keyof typeof OBJSTORE_PROVIDERS;
    const { config, type: _type, ...topLevel } = o.case.bucketConfig;
    walk(type, undefined, topLevel, []);
    walk(type, OBJSTORE_PROVIDERS[type].schema as unknown as SchemaNode, config, ['config']);
  }
  return fields;
}
