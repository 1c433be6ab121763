/**
 * docker-compose.yml as Docker Compose loads it: runs the test ground's
 * `compose-config` (scripts/testground/tools/cmd/compose-config, built on
 * compose-go, the library Docker Compose v2 loads files with) and returns the
 * project `docker compose up` would run, with interpolation, profiles and paths
 * resolved.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath, projectRoot } from '../../src/testground/paths';

export const COMPOSE_CONFIG = binPath('compose-config');

export interface ComposePort {
  host_ip?: string;
  target: number;
  published?: string;
  protocol?: string;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  ports?: ComposePort[];
  depends_on?: Record<string, { condition: string; required: boolean }>;
  secrets?: { source: string; target?: string }[];
  volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
  healthcheck?: { test?: string[] };
  profiles?: string[];
}

export interface ComposeProject {
  name: string;
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
  volumes?: Record<string, unknown>;
}

export interface ComposeSetup {
  /** The whole environment `docker compose` runs in (nothing is inherited from this process). */
  env: Record<string, string>;
  profiles: string[];
  /** Where `docker compose` runs; the project directory. Default: the clone. */
  cwd?: string;
}

/** The project `docker compose [--profile P]... up` would run; throws the loader's error. */
export function loadComposeProject(setup: ComposeSetup): ComposeProject {
  const args = setup.profiles.flatMap((p) => ['--profile', p]);
  const run = spawnSync(COMPOSE_CONFIG, args, { cwd: setup.cwd ?? projectRoot, env: setup.env, encoding: 'utf8' });
  if (run.error) throw new Error(`${COMPOSE_CONFIG}: ${run.error.message} (built by scripts/testground/build.sh tools)`);
  if (run.status !== 0) throw new Error(`docker compose would refuse the file: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as ComposeProject;
}

/**
 * The host file mounted at a path in a service's container, as a secret or a
 * bind mount; undefined if nothing is mounted there.
 */
export function hostFileAt(project: ComposeProject, service: string, containerPath: string): string | undefined {
  const s = project.services[service];
  const secret = s?.secrets?.find((m) => m.target === containerPath)?.source;
  if (secret !== undefined) return project.secrets?.[secret]?.file;
  return s?.volumes?.find((v) => v.type === 'bind' && v.target === containerPath)?.source;
}

/**
 * A service's environment as its process would see it, with each path of a
 * file mounted into its container replaced by the host file, so that the
 * project's own configuration readers can read it here.
 */
export function environmentOnHost(project: ComposeProject, service: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(project.services[service]?.environment ?? {}).map(([key, value]) => [
      key, (value !== null && hostFileAt(project, service, value)) || (value ?? ''),
    ]),
  );
}

/** The command a service's container runs: its own, or its image's CMD from the Dockerfile it is built from. */
export function commandOf(service: ComposeService): string[] | undefined {
  if (service.command) return service.command;
  if (!service.build) return undefined;
  const dockerfile = readFileSync(join(service.build.context, service.build.dockerfile), 'utf8');
  const cmd = [...dockerfile.matchAll(/^CMD\s+(\[.*\])\s*$/gm)].pop()?.[1];
  return cmd ? (JSON.parse(cmd) as string[]) : undefined;
}

/** The host port published for a container port, on which address. */
export function publishedPort(service: ComposeService | undefined, containerPort: number): { hostIp?: string; port: number } | undefined {
  const entry = service?.ports?.find((p) => p.target === containerPort);
  return entry?.published ? { hostIp: entry.host_ip, port: Number(entry.published) } : undefined;
}
