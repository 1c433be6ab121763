import { request, type RequestOptions } from 'node:https';
import type * as k8s from '@kubernetes/client-node';

/**
 * A request to a path of the Kubernetes API server, such as a service or pod
 * proxy (`/api/v1/namespaces/NS/services/http:NAME:PORT/proxy/...`), with the
 * kubeconfig's credentials: a way to HTTP APIs inside the cluster from
 * wherever the kubeconfig works.
 */
export async function apiServerRequest(
  kc: k8s.KubeConfig,
  path: string,
  init: { method?: 'GET' | 'POST'; body?: Uint8Array; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const headers = { ...init.headers, ...(init.body !== undefined && { 'Content-Length': String(init.body.length) }) };
  const options: RequestOptions = { method: init.method ?? 'GET', hostname: server.hostname, port: server.port, path, headers, timeout: 10_000 };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${options.method} ${path} timed out`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** GET a path of the Kubernetes API server (see apiServerRequest). */
export const apiServerGet = (kc: k8s.KubeConfig, path: string): Promise<{ status: number; body: string }> => apiServerRequest(kc, path);

/** GET through the API server and parse the answer as JSON; fails on any status but 200. */
export async function apiServerGetJson<T>(kc: k8s.KubeConfig, path: string): Promise<T> {
  const { status, body } = await apiServerGet(kc, path);
  if (status !== 200) throw new Error(`GET ${path}: HTTP ${status}: ${body.slice(0, 300)}`);
  return JSON.parse(body) as T;
}
