import { Agent } from 'node:https';
import * as k8s from '@kubernetes/client-node';

/** The TLS options that make two agents interchangeable. */
const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/**
 * A KubeConfig whose requests share keep-alive connections. The client
 * library makes a new agent, so a new TLS handshake, for every request (about
 * 8 ms of CPU each here); this one swaps it for a kept agent with the same TLS
 * options, as kubectl keeps its connection. Proxy agents are left as made.
 */
export class KeepAliveKubeConfig extends k8s.KubeConfig {
  private readonly agents = new Map<string, Agent>();

  private shared(made: unknown): unknown {
    if (!(made instanceof Agent) || made.constructor !== Agent) return made;
    const options = made.options as Record<string, unknown>;
    const key = JSON.stringify(TLS_OPTIONS.map((name) => String(options[name] ?? '')));
    let agent = this.agents.get(key);
    if (agent === undefined) {
      agent = new Agent({ ...Object.fromEntries(TLS_OPTIONS.map((name) => [name, options[name]])), keepAlive: true });
      this.agents.set(key, agent);
    }
    return agent;
  }

  override async applySecurityAuthentication(context: Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0]): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setAgent(this.shared(context.getAgent()) as Agent);
  }

  override async applyToHTTPSOptions(opts: Parameters<k8s.KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    if ('agent' in opts) opts.agent = this.shared(opts.agent) as Agent;
  }
}

/**
 * The worker's cluster credentials: a kubeconfig file when one is named,
 * else the pod's in-cluster service account.
 */
export function loadKubeConfig(kubeconfigPath = process.env.KUBECONFIG): k8s.KubeConfig {
  const kc = new KeepAliveKubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  return kc;
}
