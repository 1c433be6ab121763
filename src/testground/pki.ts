import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClusterPki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed while making the test cluster's certificates: ${e.stderr || e.message}`);
  }
}

/** Issues a certificate signed by the test CA, with the given subject and extensions. */
async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-CAcreateserial', '-days', '30', '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
}

/** A client certificate and its key. */
export interface ClientCertificate {
  cert: string;
  key: string;
}

const CLIENT_EXTENSIONS = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/** A client certificate for a user (CN) in groups (O). */
export async function issueClientCertificate(dir: string, name: string, user: string, groups: string[] = []): Promise<ClientCertificate> {
  await issue(dir, name, `${groups.map((g) => `/O=${g}`).join('')}/CN=${user}`, CLIENT_EXTENSIONS);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** A serving certificate for the given IP addresses and DNS names. */
export async function issueServingCertificate(dir: string, name: string, ips: string[], dnsNames: string[]): Promise<ClientCertificate> {
  const sans = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(',');
  await issue(dir, name, `/CN=${name}`,
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** A self-signed serving certificate for the given IP addresses: its own trust anchor, for one server clients pin. */
export async function selfSignedServingCertificate(dir: string, name: string, ips: string[]): Promise<ClientCertificate> {
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}`, '-addext', 'extendedKeyUsage=serverAuth']);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * A throw-away PKI for one test cluster: a CA, the API server's serving
 * certificate (for loopback, the node's address and the `kubernetes`
 * Service), an admin client certificate in system:masters, and the
 * service-account signing key.
 */
export async function createClusterPki(dir: string, apiServerIps: string[]): Promise<ClusterPki> {
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=thanos-installer-testground-ca']);
  await issueServingCertificate(dir, 'apiserver', ['127.0.0.1', ...apiServerIps],
    ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  await issueClientCertificate(dir, 'admin', 'testground-admin', ['system:masters']);
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key']);
  await openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPublicKey: join(dir, 'sa.pub'),
  };
}
