/**
 * The installer's HTTP API, compatible with tke-installer where the paths
 * overlap: POST /api/cluster starts an install, GET .../progress answers
 * {status, data}; retry, rollback and uninstall act on the cluster's install;
 * verify checks an installed cluster's data path.
 */
import { createHash } from 'node:crypto';
import swagger from '@fastify/swagger';
import { ApplicationFailure } from '@temporalio/common';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { Counter, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { startDriftWatch, stopDriftWatch, watchFollows, watchSaysInSync } from '../client/drift-watch';
import { clusterNameOf, installInputOf, planInstall, startInstall, startReconfigure, startUninstall, startVerify } from '../client/installs';
import { validateInstallRequest, validateThanosConfig, type FieldError } from '../request/validate';
import { InstallRequestSchema, type InstallRequest } from '../request/schema';
import {
  clusterOfWorkflow,
  driftWatchWorkflowIdFor,
  INVALID_SETTINGS,
  NOT_WAITING,
  progressQuery,
  retryUpdate,
  rollbackUpdate,
  settingsQuery,
  type InstallResult,
  type RetryRequest,
  verifyWorkflowIdFor,
  workflowIdFor,
} from '../workflows/contracts';
import type { installThanos } from '../workflows';
import { planRefusals, type InstallPlan } from '../render/plan';
import type { ThanosSettings } from '../request/defaults';
import type { Progress } from '../workflows/progress';
import { AnswerLog } from './answer-log';
import { bearerMatches } from './auth';
import { InFlight } from './in-flight';
import { CLUSTER_NAME, CLUSTER_NAME_RULE, isClusterName, type ClusterRegistry } from './clusters';
import { installerStatus, progressLog } from './status';

export interface ApiOptions {
  client: Client;
  token: string;
  /** The Temporal Web UI, for links in answers. */
  webUiUrl: string;
  /** The clusters this installer serves, each with its worker's task queue. */
  clusters: ClusterRegistry;
  /** Where TKE runs (always `tke` in production; tests use their own). */
  namespace?: string;
  bodyLimitBytes?: number;
  logLevel?: string;
  /** Where log lines go (default standard output). */
  logStream?: { write(line: string): void };
  /** More metrics for /metrics, made where the API is put together (its Temporal calls). */
  metrics?: Metric[];
  /** How old a workflow's description may be when a request is answered from it, counted from when it was asked (default 50 ms). */
  descriptionMaxAgeMs?: number;
}

const UNAUTHENTICATED = new Set(['/healthz', '/readyz']);
/** How long the API waits for a worker to answer a progress query. */
const QUERY_DEADLINE_MS = 3000;
const FINGERPRINT_MEMO = 'requestFingerprint';
/** How much text of install request bodies the API keeps, with what validation made of each. */
const KNOWN_BODIES_BYTES = 4 * 1024 * 1024;
/** Workflows whose recent description the API keeps at most. */
const DESCRIPTIONS_KEPT = 1024;
/** The share of its maximum age after which a kept description is asked again in the background. */
const REFRESH_AFTER = 0.6;
/** Closed runs whose results the API keeps (a few KiB each). */
const CLOSED_RUNS_KEPT = 512;
/** The workflows that leave Thanos installed when they succeed; retry and rollback act on them. */
const INSTALL_TYPES = new Set(['installThanos', 'reconfigureThanos']);
/** What a workflow type is called in answers. */
const RUN_NOUNS: Record<string, string> = {
  installThanos: 'install',
  reconfigureThanos: 'reconfiguration',
  uninstallThanos: 'uninstall',
  verifyThanos: 'check',
};
const nounOf = (type: string): string => RUN_NOUNS[type] ?? type;
/** `an install`, `a reconfiguration`, ... */
const aRunOf = (type: string): string => `${/^[aeiou]/.test(nounOf(type)) ? 'an' : 'a'} ${nounOf(type)}`;

/** The same request, whatever its key case or order, has the same fingerprint. */
function fingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

/** What validation made of an install request's body, with the fingerprints the API compares. */
interface AcceptedRequest {
  request: InstallRequest;
  /** With the namespace the API installs into. */
  settings: ThanosSettings;
  print: string;
  settingsPrint: string;
}

/**
 * An install request's body as its route sees it: validated already. A client
 * sending the same body again (retrying, making sure, or repeating a mistake)
 * costs neither a parse nor a validation.
 */
type BodyVerdict = { ok: true; accepted: AcceptedRequest } | { ok: false; errors: FieldError[] };

function failed(reply: FastifyReply, code: number, message: string, errors?: FieldError[]) {
  return reply.code(code).send({ status: 'Failed', message, ...(errors && { errors }) });
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const { client, token } = options;
  const { clusters } = options;
  const namespace = options.namespace ?? 'tke';
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    logController: new AnswerLog(),
    logger: {
      level: options.logLevel ?? 'info',
      // Requests are logged without bodies; the token never.
      redact: ['req.headers.authorization'],
      ...(options.logStream !== undefined && { stream: options.logStream }),
    },
  });

  // JSON only: tke-installer's API takes nothing else.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const knownBodies = new LRUCache<string, BodyVerdict>({ maxSize: KNOWN_BODIES_BYTES, sizeCalculation: (_verdict, body) => body.length });
  /** What validation makes of an install request. */
  const verdictOn = (raw: unknown): BodyVerdict => {
    const validated = validateInstallRequest(raw);
    if (!validated.ok) return { ok: false, errors: validated.errors };
    const settings = { ...validated.settings, namespace };
    return { ok: true, accepted: { request: validated.request, settings, print: fingerprint(validated.request), settingsPrint: fingerprint(settings) } };
  };
  /** An install request's text, parsed and validated only the first time it is sent. */
  const parseInstallRequest = (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, verdict?: BodyVerdict) => void) => {
    const text = body.toString();
    const known = knownBodies.get(text);
    if (known !== undefined) return done(null, known);
    parseJson(request, text, (err: Error | null, raw?: unknown) => {
      if (err) return done(err);
      const verdict = verdictOn(raw);
      knownBodies.set(text, verdict);
      done(null, verdict);
    });
  };
  const installedFingerprints = new WeakMap<ThanosSettings, string>();
  /** A closed run's settings are kept (closedRunResult): their fingerprint is made once. */
  const installedFingerprint = (installed: ThanosSettings): string => {
    let print = installedFingerprints.get(installed);
    if (print === undefined) {
      print = fingerprint(installed);
      installedFingerprints.set(installed, print);
    }
    return print;
  };

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of options.metrics ?? []) registry.registerMetric(metric);
  const requests = new Histogram({
    name: 'thanos_installer_http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  // Identical requests at the same time share one comparison with the cluster, and one start of its drift watch.
  const plansInFlight = new InFlight<InstallPlan | string>();
  const watchesStarted = new InFlight<void>();
  const installsStarted = new Counter({
    name: 'thanos_installer_installs_started_total',
    help: 'installThanos workflows started',
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    requests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'TKE Thanos installer', version: '0.1.0', description: 'Installs the Thanos monitoring backend of a TKE global cluster.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    if (UNAUTHENTICATED.has(request.url)) return;
    if (!bearerMatches(request.headers.authorization, token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ status: 'Failed', message: 'missing or wrong bearer token' });
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown; validationContext?: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return failed(reply, 413, `the request body is larger than ${app.initialConfig.bodyLimit} bytes`);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return failed(reply, 415, 'the request body must be JSON (Content-Type: application/json)');
    if (error.validation !== undefined && error.validationContext === 'params') {
      return failed(reply, 400, `the cluster name in the path must be ${CLUSTER_NAME_RULE}`);
    }
    if (error.validation !== undefined) return failed(reply, 400, `the ${error.validationContext === 'querystring' ? 'query string' : 'request'} is invalid: ${error.message}`);
    if (error.statusCode === 400) return failed(reply, 400, `the request body is not valid JSON: ${error.message}`);
    request.log.error({ err: error }, 'request failed');
    return failed(reply, 500, 'internal error: see the installer\'s log');
  });

  const notServed = (name: string) =>
    `this installer serves no cluster named '${name}' (it serves ${clusters.names().join(', ')}): ` +
    'add it to THANOS_INSTALLER_CLUSTERS with the task queue of a worker that holds its kubeconfig';

  /**
   * Workflows as Temporal described them a moment ago: requests answer from
   * a description begun at most descriptionMaxAgeMs before they came, in
   * flight or done, so that many requests cost one describe (about 1 ms of
   * this process's CPU each). Once a description is older than REFRESH_AFTER
   * of that, the next request asks again in the background and is answered
   * from the one kept, so that requests seldom wait for Temporal. The API's
   * own changes forget them all, so that it reads its own writes at once, and
   * a description asked before a change never replaces one after it.
   */
  const maxAge = options.descriptionMaxAgeMs ?? 50;
  interface Description {
    described: Promise<WorkflowExecutionDescription | undefined>;
    askedAt: number;
    settled: boolean;
    refreshing: boolean;
  }
  const recentDescriptions = new LRUCache<string, Description>({ max: DESCRIPTIONS_KEPT, ttl: maxAge });
  /** Counts the changes the API made: a description asked before one is not kept after it. */
  let changes = 0;
  const ask = (workflowId: string): Description => {
    const description: Description = {
      described: client.workflow.getHandle(workflowId).describe().catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }),
      askedAt: performance.now(),
      settled: false,
      refreshing: false,
    };
    description.described.then(
      () => (description.settled = true),
      // A failure to ask is not kept.
      () => {
        if (recentDescriptions.peek(workflowId) === description) recentDescriptions.delete(workflowId);
      },
    );
    return description;
  };
  const describeWorkflow = (workflowId: string): Promise<WorkflowExecutionDescription | undefined> => {
    const kept = recentDescriptions.get(workflowId);
    if (kept === undefined) {
      const asked = ask(workflowId);
      recentDescriptions.set(workflowId, asked);
      return asked.described;
    }
    if (kept.settled && !kept.refreshing && performance.now() - kept.askedAt > maxAge * REFRESH_AFTER) {
      kept.refreshing = true;
      const changesBefore = changes;
      const next = ask(workflowId);
      next.described.then(() => {
        const age = performance.now() - next.askedAt;
        if (changes === changesBefore && recentDescriptions.peek(workflowId) === kept && age < maxAge) {
          recentDescriptions.set(workflowId, next, { ttl: maxAge - age });
        }
      }, () => {});
    }
    return kept.described;
  };
  /** A change this API makes to workflows; whatever its outcome, what was described before it is forgotten. */
  const changing = async <T>(change: Promise<T>): Promise<T> => {
    try {
      return await change;
    } finally {
      changes++;
      recentDescriptions.clear();
    }
  };
  /**
   * What a closed run returned (or the error it ended with): a closed run
   * never changes, so it is read from Temporal once and kept.
   */
  const closedRuns = new LRUCache<string, Promise<InstallResult>>({ max: CLOSED_RUNS_KEPT });
  const closedRunResult = (run: { workflowId: string; runId: string }): Promise<InstallResult> => {
    let result = closedRuns.get(run.runId);
    if (result === undefined) {
      result = client.workflow.getHandle<typeof installThanos>(run.workflowId, run.runId).result();
      // The run's own failure is kept like a result; a failure to ask Temporal is not.
      result.catch((err: unknown) => {
        if (!(err instanceof WorkflowFailedError)) closedRuns.delete(run.runId);
      });
      closedRuns.set(run.runId, result);
    }
    return result;
  };
  /**
   * The settings Thanos runs with after a finished install or
   * reconfiguration; undefined where it was never installed, was removed, or
   * its run ended without saying.
   */
  const installedSettings = async (existing: WorkflowExecutionDescription): Promise<ThanosSettings | undefined> => {
    if (!INSTALL_TYPES.has(existing.type) || existing.status.name !== 'COMPLETED') return undefined;
    return (await closedRunResult(existing)).settings;
  };
  /** Ends a cluster's drift watch; one left running only costs its worker re-plans, so a failure is logged, not answered. */
  const stopWatching = (clusterName: string, reason: string, log: FastifyBaseLogger) =>
    changing(stopDriftWatch(client, clusterName, reason)).catch((err: unknown) => log.warn({ err }, `stopping the drift watch of cluster ${clusterName} failed`));
  /** The cluster's latest install, reconfiguration or uninstall. */
  const describe = (clusterName: string) => describeWorkflow(workflowIdFor(clusterName));
  const links = (workflowId: string, runId: string) => ({
    workflowId,
    runId,
    webUiUrl: `${options.webUiUrl}/namespaces/${client.options.namespace}/workflows/${workflowId}/${runId}/history`,
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await client.workflowService.getSystemInfo({});
      return { status: 'ok' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', message: `Temporal: ${(err as Error).message}` });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The install request's route has a parser of its own, which validates (a Fastify scope keeps it to this route).
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, parseInstallRequest);
    scope.post<{ Querystring: { dryRun?: 'All' }; Body: BodyVerdict | undefined }>(
      '/api/cluster',
      {
        schema: {
          summary: 'Install Thanos as tke-installer\'s POST /api/cluster does; with ?dryRun=All, answer what the install would change, changing nothing',
          querystring: { type: 'object', properties: { dryRun: { type: 'string', enum: ['All'] } }, additionalProperties: false },
          body: InstallRequestSchema,
          response: { 202: { type: 'object', additionalProperties: true }, 200: { type: 'object', additionalProperties: true } },
        },
        // The request is validated by validateInstallRequest (case-insensitive
        // keys, every error with its path) as it is parsed, the query below; the schema above documents both.
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        const unknownQuery = Object.entries(request.query).find(([key, value]) => key !== 'dryRun' || value !== 'All');
        if (unknownQuery) {
          return failed(reply, 400, `the query string is invalid: ${unknownQuery[0] === 'dryRun' ? `dryRun must be All, got '${String(unknownQuery[1])}'` : `unknown parameter ${unknownQuery[0]}`}`);
        }
        // Fastify parses no body that is absent.
        const verdict = request.body ?? verdictOn(undefined);
        if (!verdict.ok) return failed(reply, 400, `${verdict.errors.length} invalid field(s)`, verdict.errors);
        const { accepted } = verdict;
        const { settings, print, settingsPrint } = accepted;
        const clusterName = clusterNameOf(accepted.request);
        if (!isClusterName(clusterName)) {
          return failed(reply, 400, '1 invalid field(s)', [{ path: 'cluster.metadata.name', message: `must be ${CLUSTER_NAME_RULE}, got '${clusterName}'` }]);
        }
        const taskQueue = clusters.taskQueueOf(clusterName);
        if (taskQueue === undefined) {
          return failed(reply, 400, '1 invalid field(s)', [{ path: 'cluster.metadata.name', message: notServed(clusterName) }]);
        }
        const planned = (installed: boolean) =>
          plansInFlight.share(JSON.stringify([clusterName, print, installed]), async () => {
            try {
              return await planInstall(client, { clusterName, settings, installed }, taskQueue);
            } catch (err) {
              const cause = err instanceof WorkflowFailedError ? (err.cause?.cause ?? err.cause) : err;
              return `planning the change of cluster ${clusterName} failed: ${(cause as Error).message}`;
            }
          });
        for (;;) {
          // The drift watch is asked at once too: waiting for one answer after the other would add up.
          const [existing, driftWatch] = await Promise.all([describe(clusterName), describeWorkflow(driftWatchWorkflowIdFor(clusterName))]);
          const sameRequest = existing?.memo?.[FINGERPRINT_MEMO] === print;
          const running = existing?.status.name === 'RUNNING';
          const installed = existing === undefined || running ? undefined : await installedSettings(existing);
          if (request.query.dryRun === 'All') {
            // While a run goes on, plan as for the cluster it is changing.
            const plan = await planned(installed !== undefined || (running && existing.type === 'reconfigureThanos'));
            if (typeof plan === 'string') return failed(reply, 502, plan);
            return reply.code(200).send({ clusterName, dryRun: 'All', ...plan });
          }
          if (running) {
            if (!sameRequest || !INSTALL_TYPES.has(existing.type)) {
              return failed(reply, 409, `a different ${nounOf(existing.type)} is running for cluster ${clusterName}`);
            }
            return reply.code(200).send({ clusterName, status: 'Doing', ...links(existing.workflowId, existing.runId) });
          }
          try {
            // Nothing installed (no run, or its last run left nothing): install.
            if (installed === undefined || existing === undefined) {
              const started = await changing(startInstall(client, installInputOf(clusterName, settings), taskQueue, { [FINGERPRINT_MEMO]: print }));
              installsStarted.inc();
              return reply.code(202).send({ clusterName, status: 'Doing', ...links(started.workflowId, started.runId) });
            }
            // An installed cluster: what it runs already (the request of a run that was rolled back is not that)?
            const runsAlready = installedFingerprint(installed) === settingsPrint;
            const finished = () => reply.code(200).send({ clusterName, status: 'Finished', ...links(existing.workflowId, existing.runId) });
            // Its drift watch knows whether it still matches, without a plan.
            if (runsAlready && watchSaysInSync(driftWatch, settingsPrint)) return finished();
            // Else compare the cluster with what the request asks for.
            const plan = await planned(true);
            if (typeof plan === 'string') return failed(reply, 502, plan);
            if (plan.refused) {
              return failed(reply, 422, 'the change cannot be made in place; nothing was changed', planRefusals(plan));
            }
            if (!plan.changes && runsAlready) {
              // A watch of these settings that is only unsure goes on; none, or one of other settings, is (re)placed.
              if (watchFollows(driftWatch, settingsPrint)) return finished();
              await watchesStarted
                .share(JSON.stringify([clusterName, settingsPrint]), () =>
                  changing(startDriftWatch(client, { clusterName, settings, settingsFingerprint: settingsPrint, inSync: true }, taskQueue)),
                )
                // Without a watch the next request plans again: worth a log line, not a failed answer.
                .catch((err: unknown) => request.log.warn({ err }, `starting the drift watch of cluster ${clusterName} failed`));
              return finished();
            }
            const started = await changing(startReconfigure(client, { ...installInputOf(clusterName, settings), from: installed }, taskQueue, { [FINGERPRINT_MEMO]: print }));
            // A repair ends with the settings the watch knows; a change does not.
            if (!runsAlready) await stopWatching(clusterName, 'the cluster is being reconfigured with other settings', request.log);
            return reply.code(202).send({ clusterName, status: 'Doing', reconfigure: runsAlready ? 'repair' : 'change', ...links(started.workflowId, started.runId) });
          } catch (err) {
            // Another request started it first: answer as for that one.
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          }
        }
      },
    );
  });

  type ClusterParams = { Params: { name: string } };
  const params = { type: 'object', properties: { name: { type: 'string', pattern: CLUSTER_NAME.source, maxLength: 63 } }, required: ['name'] };

  /** A closed run's progress answer never changes: it is made once, kept as long as its run's result. */
  const closedProgressAnswers = new WeakMap<Progress, string>();
  /**
   * A workflow's progress as tke-installer reports it: `{status, data}` and
   * the details. A finished run answers from its result, without a worker; a
   * running one asks its worker, and if none answers in time says so (503)
   * rather than calling the install failed.
   */
  const progressAnswer = async (existing: WorkflowExecutionDescription, reply: FastifyReply) => {
    const handle = client.workflow.getHandle<typeof installThanos>(existing.workflowId, existing.runId);
    const where = links(existing.workflowId, existing.runId);
    const answerOf = (progress: Progress) => ({ status: installerStatus(progress), data: progressLog(progress), phase: progress.phase, steps: progress.steps, rollbackSteps: progress.rollbackSteps, notes: progress.notes, ...where });
    if (existing.status.name === 'RUNNING') {
      let running: Progress;
      try {
        running = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(progressQuery));
      } catch (err) {
        return reply.code(503).send({
          status: 'Unknown',
          data: `the ${nounOf(existing.type)} of cluster ${clusterOfWorkflow(existing.type, existing.workflowId) ?? existing.workflowId} is running, but no worker answered for its progress within ${QUERY_DEADLINE_MS / 1000}s (is a worker running on task queue ${existing.taskQueue}?): ${(err as Error).message}`,
          ...where,
        });
      }
      return reply.send(answerOf(running));
    }
    let progress: Progress;
    try {
      progress = (await closedRunResult(existing)).progress;
    } catch (err) {
      return reply.send({ status: 'Failed', data: `the workflow ended ${existing.status.name}: ${(err as Error).message}`, ...where });
    }
    let answer = closedProgressAnswers.get(progress);
    if (answer === undefined) {
      answer = JSON.stringify(answerOf(progress));
      closedProgressAnswers.set(progress, answer);
    }
    return reply.type('application/json; charset=utf-8').send(answer);
  };

  app.get<ClusterParams>('/api/cluster/:name/progress', { schema: { params, summary: 'Progress of the cluster\'s install, as tke-installer reports it' } }, async (request, reply) => {
    const existing = await describe(request.params.name);
    if (!existing) return reply.code(404).send({ status: 'Unknown', data: `no install for cluster ${request.params.name}` });
    return progressAnswer(existing, reply);
  });

  app.post<ClusterParams>('/api/cluster/:name/verify', { schema: { params, summary: 'Check an installed cluster\'s data path: a canary through Receive\'s NodePort, read back through Query' } }, async (request, reply) => {
    const name = request.params.name;
    const taskQueue = clusters.taskQueueOf(name);
    if (taskQueue === undefined) return failed(reply, 404, notServed(name));
    const install = await describe(name);
    if (!install) return reply.code(404).send({ status: 'Unknown', message: `no install for cluster ${name}` });
    if (install.status.name === 'RUNNING') return failed(reply, 409, `${aRunOf(install.type)} is running for cluster ${name}: verify once it has finished`);
    if (!INSTALL_TYPES.has(install.type)) return failed(reply, 409, `Thanos was uninstalled from cluster ${name}`);
    const result = await closedRunResult(install).catch(() => undefined);
    const installedNow = result?.phase === 'Succeeded' || (install.type === 'reconfigureThanos' && result?.phase === 'RolledBack');
    if (!installedNow) return failed(reply, 409, `the last ${nounOf(install.type)} of cluster ${name} did not succeed (${result?.phase ?? install.status.name})`);
    if (!result?.settings) {
      return failed(reply, 409, `the install of cluster ${name} finished before the installer recorded its settings: send the same install request again, then verify`);
    }
    const started = await changing(startVerify(client, { clusterName: name, settings: result.settings }, taskQueue));
    return reply.code(202).send({ clusterName: name, status: 'Doing', ...links(started.workflowId, started.runId) });
  });

  app.get<ClusterParams>('/api/cluster/:name/verify', { schema: { params, summary: 'The latest data-path check of the cluster, as {status, data}' } }, async (request, reply) => {
    const existing = await describeWorkflow(verifyWorkflowIdFor(request.params.name));
    if (!existing) return reply.code(404).send({ status: 'Unknown', data: `no data-path check of cluster ${request.params.name}` });
    return progressAnswer(existing, reply);
  });

  /**
   * A retry's request: corrected `config.monitor.thanos` becomes complete
   * settings here, on the install's own GLOBAL_NODE_IP and namespace, so that
   * the workflow reads no default of its own.
   */
  const retryRequestFor = async (existing: WorkflowExecutionDescription, thanos: unknown): Promise<RetryRequest | FieldError[]> => {
    if (thanos === undefined) return {};
    if (!INSTALL_TYPES.has(existing.type)) return [{ path: 'thanos', message: 'an uninstall takes no settings: send retry without a body' }];
    const handle = client.workflow.getHandle<typeof installThanos>(existing.workflowId, existing.runId);
    const current = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(settingsQuery));
    const corrected = validateThanosConfig(thanos, current.globalNodeIp);
    return corrected.ok ? { settings: { ...corrected.settings, namespace: current.namespace } } : corrected.errors;
  };

  const act = async (name: string, reply: FastifyReply, decision: 'retry' | 'rollback', send: (handle: ReturnType<Client['workflow']['getHandle']>, existing: WorkflowExecutionDescription) => Promise<Progress | FieldError[]>) => {
    if (clusters.taskQueueOf(name) === undefined) return failed(reply, 404, notServed(name));
    const existing = await describe(name);
    if (!existing || existing.status.name !== 'RUNNING') return failed(reply, 409, `no install of cluster ${name} is waiting for the operator`);
    if (decision === 'rollback' && !INSTALL_TYPES.has(existing.type)) {
      return failed(reply, 409, `cluster ${name} is being uninstalled, which cannot be rolled back: send retry if it waits for the operator`);
    }
    try {
      const progress = await send(client.workflow.getHandle(existing.workflowId, existing.runId), existing);
      if (Array.isArray(progress)) return failed(reply, 400, 'invalid settings', progress);
      return reply.send({ status: installerStatus(progress), data: progressLog(progress), phase: progress.phase });
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === INVALID_SETTINGS) {
        return failed(reply, 400, 'invalid settings', cause.details?.[0] as FieldError[]);
      }
      if (cause instanceof ApplicationFailure && cause.type === NOT_WAITING) return failed(reply, 409, cause.message);
      throw err;
    }
  };
  app.post<ClusterParams & { Body: { thanos?: unknown } | undefined }>('/api/cluster/:name/retry', { schema: { params, summary: 'Resume a failed install, optionally with corrected config.monitor.thanos' } }, async (request, reply) =>
    act(request.params.name, reply, 'retry', async (h, existing) => {
      const retry = await retryRequestFor(existing, request.body?.thanos);
      return Array.isArray(retry) ? retry : changing(h.executeUpdate(retryUpdate, { args: [retry] }));
    }),
  );
  app.post<ClusterParams & { Body: { deleteVolumeClaims?: boolean } | undefined }>('/api/cluster/:name/rollback', { schema: { params, summary: 'Roll back a failed install' } }, async (request, reply) =>
    act(request.params.name, reply, 'rollback', (h) => changing(h.executeUpdate(rollbackUpdate, { args: [{ deleteVolumeClaims: request.body?.deleteVolumeClaims === true }] }))),
  );
  app.delete<ClusterParams & { Querystring: { deleteVolumeClaims?: string } }>('/api/cluster/:name/thanos', { schema: { params, summary: 'Uninstall Thanos from the cluster' } }, async (request, reply) => {
    const taskQueue = clusters.taskQueueOf(request.params.name);
    if (taskQueue === undefined) return failed(reply, 404, notServed(request.params.name));
    const existing = await describe(request.params.name);
    if (existing?.status.name === 'RUNNING') return failed(reply, 409, `${aRunOf(existing.type)} is running for cluster ${request.params.name}`);
    try {
      const started = await changing(startUninstall(client, { clusterName: request.params.name, namespace, deleteVolumeClaims: request.query.deleteVolumeClaims === 'true' }, taskQueue));
      await stopWatching(request.params.name, 'Thanos is being uninstalled', request.log);
      return reply.code(202).send({ clusterName: request.params.name, status: 'Doing', ...links(started.workflowId, started.runId) });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return failed(reply, 409, `an install or uninstall of cluster ${request.params.name} started meanwhile`);
      throw err;
    }
  });

  return app;
}
