import * as k8s from '@kubernetes/client-node';

export interface WorkerInfo {
  pid: number;
  nodeVersion: string;
  kubernetes: { server: string; version: string };
}

/**
 * Reports who the worker is and which cluster it reaches: the first thing an
 * operator checks when installs do not start.
 */
export function workerInfoActivities(kc: k8s.KubeConfig) {
  return {
    async describeWorker(): Promise<WorkerInfo> {
      const version = await kc.makeApiClient(k8s.VersionApi).getCode();
      return {
        pid: process.pid,
        nodeVersion: process.version,
        kubernetes: { server: kc.getCurrentCluster()?.server ?? '', version: version.gitVersion },
      };
    },
  };
}
