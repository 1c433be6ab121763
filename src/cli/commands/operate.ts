/**
 * The commands that talk to the installer's API: install, status, retry,
 * rollback, uninstall, verify. Each takes --server and --token (or their environment
 * variables) and --output text|json.
 */
import { readFile } from 'node:fs/promises';
import { type Command } from 'commander';
import { InstallerApi, type ApiAnswer, type ProgressDto } from '../../client/api-client';
import { followProgress } from '../progress-display';
import { planLines } from '../../render/plan';
import { EXIT_CHANGES, EXIT_INVALID, EXIT_OK, UsageError, type CliContext } from '../io';

interface ServerOptions {
  server: string;
  token?: string;
  output: 'text' | 'json';
}

function withServerOptions(command: Command): Command {
  return command
    .option('--server <url>', 'the installer API (env THANOS_INSTALLER_URL)', process.env.THANOS_INSTALLER_URL ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'the API bearer token (env THANOS_INSTALLER_API_TOKEN)')
    .option('-o, --output <format>', 'text or json', 'text');
}

function apiOf(options: ServerOptions): InstallerApi {
  const token = options.token ?? process.env.THANOS_INSTALLER_API_TOKEN;
  if (!token) throw new UsageError('no API token: pass --token or set THANOS_INSTALLER_API_TOKEN');
  if (options.output !== 'text' && options.output !== 'json') throw new UsageError(`--output must be text or json, not '${options.output}'`);
  return new InstallerApi(options.server.replace(/\/+$/, ''), token);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Prints a refused answer (every field error on its own line) and sets exit code 1. */
function refused(context: CliContext, options: ServerOptions, answer: ApiAnswer<object>): void {
  context.exitCode = EXIT_INVALID;
  if (options.output === 'json') {
    context.io.stdout.write(`${JSON.stringify({ httpStatus: answer.httpStatus, ...answer.body })}\n`);
    return;
  }
  context.io.stderr.write(`error (HTTP ${answer.httpStatus}): ${answer.body.message ?? answer.body.status}\n`);
  for (const e of answer.body.errors ?? []) context.io.stderr.write(`  ${e.path}: ${e.message}\n`);
}

/**
 * Prints the progress; exit code 0 when the command got what it asked for.
 * tke-installer calls a rolled-back install Failed, but for `rollback` that
 * is the goal: it succeeds, and ends its output, with phase RolledBack.
 */
function report(context: CliContext, options: ServerOptions, progress: ProgressDto, goal?: ProgressDto['phase']): void {
  const achieved = goal === undefined ? progress.status !== 'Failed' : progress.phase === goal;
  context.exitCode = achieved ? EXIT_OK : EXIT_INVALID;
  if (options.output === 'json') {
    context.io.stdout.write(`${JSON.stringify(progress)}\n`);
    return;
  }
  context.io.stdout.write(`${progress.data}\n`);
  if (progress.webUiUrl) context.io.stdout.write(`Web UI: ${progress.webUiUrl}\n`);
  context.io.stdout.write(`${goal === undefined ? progress.status : progress.phase}\n`);
}

export function registerOperateCommands(program: Command, context: CliContext): void {
  const live = Boolean((process.stderr as { isTTY?: boolean }).isTTY);

  withServerOptions(program.command('install').description('start an install (for an installed cluster: a reconfiguration, or a repair of drift) through the API and follow it until it ends'))
    .requiredOption('-f, --file <path>', 'the request JSON ({cluster, config})')
    .option('--no-wait', 'return once the install has started')
    .action(async (options: ServerOptions & { file: string; wait: boolean }) => {
      const api = apiOf(options);
      const answer = await api.install(await readJson(options.file));
      if (answer.httpStatus !== 200 && answer.httpStatus !== 202) return refused(context, options, answer);
      const { clusterName, webUiUrl, reconfigure } = answer.body;
      const run = reconfigure === 'change' ? 'reconfiguration' : reconfigure === 'repair' ? 'repair of drift' : 'install';
      if (options.output === 'text') {
        context.io.stderr.write(answer.body.status === 'Finished'
          ? `cluster ${clusterName} already runs what the request asks for: nothing changed (${webUiUrl})\n`
          : `${run} of cluster ${clusterName} ${answer.httpStatus === 202 ? 'started' : 'is running'}: ${webUiUrl}\n`);
      }
      if (!options.wait) {
        if (options.output === 'json') context.io.stdout.write(`${JSON.stringify(answer.body)}\n`);
        return;
      }
      report(context, options, await followProgress(() => api.progress(clusterName), context.io, live && options.output === 'text'));
    });

  withServerOptions(program.command('plan').description(
    'show what installing the request would change in the cluster as it is now, changing nothing ' +
      '(exit 0: no changes, 3: changes, 1: refused, e.g. a change Kubernetes will not make in place)',
  ))
    .requiredOption('-f, --file <path>', 'the request JSON ({cluster, config})')
    .action(async (options: ServerOptions & { file: string }) => {
      const answer = await apiOf(options).plan(await readJson(options.file));
      if (answer.httpStatus !== 200) return refused(context, options, answer);
      const plan = answer.body;
      context.exitCode = plan.refused ? EXIT_INVALID : plan.changes ? EXIT_CHANGES : EXIT_OK;
      context.io.stdout.write(options.output === 'json' ? `${JSON.stringify(plan)}\n` : `${planLines(plan).join('\n')}\n`);
    });

  withServerOptions(program.command('status').description('show the progress of a cluster\'s install'))
    .argument('<cluster>', 'the cluster name (global by default in tke-installer)')
    .action(async (cluster: string, options: ServerOptions) => {
      const answer = await apiOf(options).progress(cluster);
      if (answer.httpStatus !== 200) return refused(context, options, answer);
      report(context, options, answer.body as ProgressDto);
    });

  withServerOptions(program.command('retry').description('resume a failed install, optionally with corrected Thanos settings'))
    .argument('<cluster>')
    .option('-f, --file <path>', 'a corrected config.monitor.thanos as JSON')
    .option('--no-wait', 'return once the retry is accepted')
    .action(async (cluster: string, options: ServerOptions & { file?: string; wait: boolean }) => {
      const api = apiOf(options);
      const answer = await api.retry(cluster, options.file ? await readJson(options.file) : undefined);
      if (answer.httpStatus !== 200) return refused(context, options, answer);
      report(context, options, options.wait ? await followProgress(() => api.progress(cluster), context.io, live && options.output === 'text') : (answer.body as ProgressDto));
    });

  withServerOptions(program.command('rollback').description('roll back a failed install: restore TKE\'s configuration, remove Thanos'))
    .argument('<cluster>')
    .option('--delete-volume-claims', 'also delete Thanos\'s volume claims and their data')
    .action(async (cluster: string, options: ServerOptions & { deleteVolumeClaims?: boolean }) => {
      const api = apiOf(options);
      const answer = await api.rollback(cluster, options.deleteVolumeClaims === true);
      if (answer.httpStatus !== 200) return refused(context, options, answer);
      report(context, options, await followProgress(() => api.progress(cluster), context.io, live && options.output === 'text'), 'RolledBack');
    });

  withServerOptions(program.command('uninstall').description('remove Thanos from a cluster and restore TKE\'s configuration'))
    .argument('<cluster>')
    .option('--delete-volume-claims', 'also delete Thanos\'s volume claims and their data')
    .action(async (cluster: string, options: ServerOptions & { deleteVolumeClaims?: boolean }) => {
      const api = apiOf(options);
      const answer = await api.uninstall(cluster, options.deleteVolumeClaims === true);
      if (answer.httpStatus !== 202) return refused(context, options, answer);
      report(context, options, await followProgress(() => api.progress(cluster), context.io, live && options.output === 'text'));
    });

  withServerOptions(program.command('verify').description('check an installed cluster\'s data path: a canary written through Receive\'s NodePort, read back through Query'))
    .argument('<cluster>')
    .action(async (cluster: string, options: ServerOptions) => {
      const api = apiOf(options);
      const answer = await api.verify(cluster);
      if (answer.httpStatus !== 200 && answer.httpStatus !== 202) return refused(context, options, answer);
      report(context, options, await followProgress(() => api.verifyProgress(cluster), context.io, live && options.output === 'text'));
    });
}
