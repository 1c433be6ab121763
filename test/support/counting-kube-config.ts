import type { Agent } from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { KeepAliveKubeConfig } from '../../src/kube/config';

/**
 * A KubeConfig that records each request made with it: the typed clients'
 * calls and requests through the API server's proxy as `METHOD /path`, and
 * each watch opened as `WATCH`. Counts what the installer
 * asks the API server, in-process, without a proxy in between.
 */
export class CountingKubeConfig extends KeepAliveKubeConfig {
  readonly requests: string[] = [];

  static fromFile(file: string): CountingKubeConfig {
    const kc = new CountingKubeConfig();
    kc.loadFromFile(file);
    return kc;
  }

  override async applySecurityAuthentication(context: Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0]): Promise<void> {
    this.requests.push(`${context.getHttpMethod()} ${new URL(context.getUrl()).pathname}`);
    await super.applySecurityAuthentication(context);
  }

  // A watch comes here with no path of its own; a request through the API server's proxy with its method and path.
  override async applyToHTTPSOptions(opts: Parameters<k8s.KubeConfig['applyToHTTPSOptions']>[0] & { path?: string; method?: string; agent?: Agent }): Promise<void> {
    this.requests.push(opts.path === undefined ? 'WATCH' : `${opts.method ?? 'GET'} ${opts.path.split('?')[0]}`);
    await super.applyToHTTPSOptions(opts);
  }
}
