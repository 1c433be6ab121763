/**
 * Runs the real Thanos binary on an objstore config, sealed off the network,
 * and says how far the config got.
 *
 * `thanos tools bucket ls --objstore.config-file=F` reads F (expanding
 * `$(NAME)` environment references, as every Thanos component does), parses
 * it, constructs the provider's bucket client exactly as Store, Compact,
 * Receive and Rule do (objstore's client.NewBucket), and only then lists the
 * bucket. Which of these steps an error comes from tells whether Thanos
 * accepted the config.
 *
 * SAFETY. Every run is inside fresh network, mount and PID namespaces
 * (`unshare --net --mount --pid --fork --kill-child`): the only interface is
 * loopback (the script refuses to start Thanos if it sees any other), so every
 * connection and every DNS query (resolv.conf is bind-mounted over with a file
 * that names no server) fails on this machine. Nothing can leave it. The PID
 * namespace ends whatever the run started (the TLS probe's server) when it
 * ends.
 *
 * THE POD'S ENVIRONMENT. Thanos runs with the environment a Thanos pod of this
 * installer has, and nothing of this machine's:
 *  - HOME is an empty directory (the image's user has no ~/.aws, ~/.oci or
 *    ~/.config/gcloud, and the installer mounts none);
 *  - KUBERNETES_SERVICE_HOST/PORT are set and the service account token and
 *    CA are at /var/run/secrets/kubernetes.io/serviceaccount, as in every pod
 *    (fakes, on a tmpfs over /run private to the run);
 *  - no other variables: Store and Compact get none from the installer;
 *    Receive and Rule get POD_NAME, which a case asks for with `env`;
 *  - for GCS, GOOGLE_APPLICATION_CREDENTIALS names a fake service account key
 *    file: Google's client needs default credentials to be constructed, and we
 *    count them as the pod's runtime environment (the installer itself does
 *    not provide them; without them a GCS config without service_account fails
 *    with "google: could not find default credentials").
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath } from '../../src/testground/paths';
import { FAKE_GCP_SERVICE_ACCOUNT_JSON } from './fake-credentials';

export const THANOS_BINARY = binPath('thanos');

/**
 * How far Thanos got with a config, read from its exit status and error chain.
 *
 * Rejected (the config could never work in a pod):
 *  - `parse`: the file could not be loaded or decoded: a `$(NAME)` reference to
 *    an unset variable, YAML that does not fit the provider's Go struct
 *    (unknown field in a strict provider, wrong type, int32 overflow, duration
 *    out of range, unknown enum value), or an unknown provider type. Some of
 *    these come wrapped in "create <TYPE> client" because the provider decodes
 *    its own section; they are still decoding errors.
 *  - `construct`: decoded, but the provider refused to build its client:
 *    its validation, a file it reads at start-up (CA, client certificate,
 *    SSE-C key), credentials it decodes (base64 keys, PEM keys, JSON key
 *    files), names it checks (bucket, region, tenant). The error chain ends in
 *    "create <TYPE> client" and shows no network attempt.
 *  - `runtime`: the client was built, then the first request failed before
 *    any network attempt, deterministically (e.g. minio-go's bucket name
 *    check, COS's bucket URL check). Every Thanos component would fail the
 *    same way on its first request, so this is a rejection too.
 * Accepted (Thanos took the config and went to its server):
 *  - `network`: the error shows a network attempt: a dial, a DNS lookup, an
 *    unreachable network, a context deadline while retrying. Azure, Swift and
 *    OCI contact their server while constructing the client (container check,
 *    Keystone authentication, namespace lookup, token exchange), so a network
 *    error under "create <TYPE> client" is still `network`.
 *  - `tls`: reached a server (only the TLS probe has one) and failed to verify
 *    its certificate: the config was accepted, and certificate checking was on.
 *  - `answered`: the TLS probe's server answered (the handshake passed, so
 *    certificate checking was off); it answers every request with OpenSSL's
 *    HTML status page, which S3's XML decoder refuses ("XML syntax error").
 *  - `timeout`: still trying when the time limit ended it.
 *  - `ok`: listed the bucket (FILESYSTEM, which needs no server).
 * `unknown` is anything else; it is treated as a rejection and shows its text.
 */
export type ThanosVerdict = 'parse' | 'construct' | 'runtime' | 'network' | 'tls' | 'answered' | 'timeout' | 'ok' | 'unknown';

export const THANOS_REJECTS: readonly ThanosVerdict[] = ['parse', 'construct', 'runtime', 'unknown'];
export const THANOS_ACCEPTS: readonly ThanosVerdict[] = ['network', 'tls', 'answered', 'timeout', 'ok'];

export interface ThanosRun {
  verdict: ThanosVerdict;
  /** The error chain without stack frames, one line per wrap ("yaml: ... | create S3 client"). */
  error: string;
  exitCode: number | null;
  seconds: number;
  /** Everything the run printed, for diagnosis. */
  output: string;
}

export interface ThanosRunOptions {
  /** Environment variables on top of the pod's (e.g. Receive's POD_NAME). */
  env?: Record<string, string>;
  /** Give Google's client default credentials (a fake service account key file). */
  googleCredentials?: boolean;
  /**
   * Start a TLS server with a self-signed certificate on 127.0.0.1:8443 inside
   * the sandbox, so the run shows whether Thanos verifies certificates.
   */
  tlsProbe?: boolean;
}

/** Seconds Thanos may take in all; `tools bucket ls` stops listing after LIST_TIMEOUT. */
const HARD_TIMEOUT_SECONDS = 12;
const LIST_TIMEOUT = '3s';
export const TLS_PROBE_ENDPOINT = '127.0.0.1:8443';

/** Files every run shares: the empty resolv.conf, the fake service account mount, HOME, credentials, the probe's certificate. */
export class ThanosSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'objstore-conformance-'));
  private readonly resolv = join(this.dir, 'resolv.conf');
  private readonly serviceAccount = join(this.dir, 'serviceaccount');
  private readonly home = join(this.dir, 'home');
  private readonly googleCredentials = join(this.dir, 'gcp-service-account.json');
  private readonly tlsCert = join(this.dir, 'probe.crt');
  private readonly tlsKey = join(this.dir, 'probe.key');
  private counter = 0;

  private constructor() {
    // No nameserver: the resolver asks loopback, which answers nothing.
    writeFileSync(this.resolv, 'options timeout:1 attempts:1\n');
    mkdirSync(this.serviceAccount);
    mkdirSync(this.home);
    writeFileSync(this.googleCredentials, FAKE_GCP_SERVICE_ACCOUNT_JSON);
  }

  static async create(): Promise<ThanosSandbox> {
    if (!existsSync(THANOS_BINARY)) throw new Error(`${THANOS_BINARY} is missing: run \`npm run testground -- build\``);
    const sandbox = new ThanosSandbox();
    await sandbox.prepare();
    return sandbox;
  }

  private async prepare(): Promise<void> {
    // A self-signed certificate, used as the pod's service account CA and by the TLS probe's server.
    await exec('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=objstore-conformance',
      '-keyout', this.tlsKey, '-out', this.tlsCert,
    ]);
    await exec('cp', [this.tlsCert, join(this.serviceAccount, 'ca.crt')]);
    // A service account token as the kubelet mounts it: a JWT with an expiry, no trailing newline.
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = [
      b64({ alg: 'RS256', kid: 'fake' }),
      b64({ aud: ['https://kubernetes.default.svc'], exp: 4102444800, iat: 1700000000, iss: 'https://kubernetes.default.svc', sub: 'system:serviceaccount:tke:default' }),
      Buffer.from('not-a-signature').toString('base64url'),
    ].join('.');
    writeFileSync(join(this.serviceAccount, 'token'), token);
  }

  /** Runs `thanos tools bucket ls` on this objstore YAML, sealed off the network. */
  async run(yaml: string, options: ThanosRunOptions = {}): Promise<ThanosRun> {
    const config = join(this.dir, `objstore-${++this.counter}.yml`);
    writeFileSync(config, yaml);
    const env: Record<string, string> = {
      HOME: this.home,
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      ...(options.googleCredentials && { GOOGLE_APPLICATION_CREDENTIALS: this.googleCredentials }),
      ...options.env,
    };
    const script = [
      'set -e',
      'ip link set lo up',
      // The safety net: loopback must be the only interface, or nothing runs.
      '[ "$(ip -o link show | wc -l)" = 1 ] || { echo "SANDBOX: more than loopback in the namespace" >&2; exit 97; }',
      '[ -z "$(ip route show default)" ] || { echo "SANDBOX: a default route in the namespace" >&2; exit 97; }',
      'mount --bind "$1" /etc/resolv.conf',
      'mount -t tmpfs -o size=1m tmpfs /run',
      'mkdir -p /run/secrets/kubernetes.io/serviceaccount',
      'cp "$2/token" "$2/ca.crt" /run/secrets/kubernetes.io/serviceaccount/',
      'if [ -n "$3" ]; then',
      `  openssl s_server -quiet -accept ${TLS_PROBE_ENDPOINT} -cert "$3" -key "$4" -www >/dev/null 2>&1 &`,
      '  i=0; until (exec 3<>/dev/tcp/127.0.0.1/8443) 2>/dev/null || [ $i -ge 100 ]; do sleep 0.05; i=$((i+1)); done',
      'fi',
      'shift 4',
      'set +e',
      `env -i "$@" timeout -k 2 ${HARD_TIMEOUT_SECONDS} "${THANOS_BINARY}" tools bucket ls --timeout=${LIST_TIMEOUT} --objstore.config-file="${config}"`,
      'exit $?',
    ].join('\n');
    const args = [
      '--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc',
      'bash', '-c', script, 'sandbox',
      this.resolv, this.serviceAccount,
      options.tlsProbe ? this.tlsCert : '', options.tlsProbe ? this.tlsKey : '',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ];
    const started = Date.now();
    const { code, output } = await exec('unshare', args, (HARD_TIMEOUT_SECONDS + 10) * 1000);
    const seconds = (Date.now() - started) / 1000;
    if (code === 97) throw new Error(`the sandbox refused to run Thanos:\n${output}`);
    const error = errorChain(output);
    return { verdict: classify(code, error, options.tlsProbe === true), error, exitCode: code, seconds, output };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs a command to its end (killing it after `timeoutMs`), with stdout and stderr together. */
function exec(command: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (command !== 'unshare' && code !== 0) reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`));
      else resolve({ code, output });
    });
  });
}

/** A Go stack frame line of github.com/pkg/errors' `%+v` output (function, or its file:line). */
function isStackFrame(line: string): boolean {
  return line.startsWith('\t') || (!line.includes(' ') && /^[\w.-]+(\/[\w.@-]+)*\.[\w.()*-]+$/.test(line));
}

/**
 * The `err="..."` value of Thanos's error log line (logfmt, with \n, \t and \"
 * escaped), without stack frames: the root error first, then each wrap.
 */
export function errorChain(output: string): string {
  const match = /level=error err="((?:[^"\\]|\\.)*)"/.exec(output);
  if (!match) return '';
  const text = match[1]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !isStackFrame(line))
    .map((line) => line.trim())
    // The command's own last wrap, the same for every error.
    .filter((line) => line !== 'preparing tools bucket ls command failed')
    .join(' | ');
}

const PARSE_ERRORS = [
  /found reference to unset environment variable/,
  /parsing config YAML file/,
  /bucket with type \S+ is not supported/,
  /yaml: /,
  /not found in type/,
  /cannot unmarshal/,
  /duration out of range/,
  /not a valid duration string/,
  /unsupported bucket lookup type/,
  /unable to unmarshal the given oci configurations/,
];
// Go wraps every certificate verification failure so (an OCI key's "x509: decryption password incorrect" is not one).
const TLS_ERRORS = [/tls: failed to verify certificate/];
const NETWORK_ERRORS = [
  /dial tcp/,
  /dial udp/,
  /lookup \S+ on /,
  /connection refused/,
  /network is unreachable/,
  /no such host/,
  /i\/o timeout/,
  /context deadline exceeded/,
  /code = Unavailable/,
];

/** See ThanosVerdict. */
export function classify(code: number | null, error: string, tlsProbe = false): ThanosVerdict {
  if (code === 0) return 'ok';
  if (error === '' && (code === 124 || code === 137 || code === null)) return 'timeout';
  if (PARSE_ERRORS.some((re) => re.test(error))) return 'parse';
  if (TLS_ERRORS.some((re) => re.test(error))) return 'tls';
  if (NETWORK_ERRORS.some((re) => re.test(error))) return 'network';
  if (tlsProbe && /XML syntax error/.test(error)) return 'answered';
  if (/create \S+ client/.test(error)) return 'construct';
  if (/BaseFetcher: iter bucket/.test(error)) return 'runtime';
  return 'unknown';
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
