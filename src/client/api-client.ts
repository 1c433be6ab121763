/**
 * A client of the installer's HTTP API, shared by the CLI, the demo and the
 * tests.
 */
import type { InstallPlan } from '../render/plan';
import type { StepState } from '../workflows/progress';

export interface FieldErrorDto {
  path: string;
  message: string;
}

export interface ApiAnswer<T = object> {
  httpStatus: number;
  body: T & { status?: string; message?: string; errors?: FieldErrorDto[] };
}

export interface StepDto {
  id: string;
  title: string;
  state: StepState;
  attempts: number;
  startedAt?: number;
  finishedAt?: number;
  result?: string;
  lastError?: string;
}

export interface ProgressDto {
  status: 'Unknown' | 'Doing' | 'Retrying' | 'Success' | 'Failed';
  data: string;
  phase?: string;
  steps?: StepDto[];
  rollbackSteps?: StepDto[];
  notes?: string[];
  workflowId?: string;
  runId?: string;
  webUiUrl?: string;
}

export class InstallerApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
    return { httpStatus: response.status, body: parsed as ApiAnswer<T>['body'] };
  }

  /** Installs, or for an installed cluster reconfigures (`reconfigure`: what the request changes, or a repair of drift). */
  install(request: unknown) {
    return this.call<{ clusterName: string; workflowId: string; runId: string; webUiUrl: string; reconfigure?: 'change' | 'repair' }>('POST', '/api/cluster', request);
  }

  /** What installing `request` would change, nothing changed (a dry run). */
  plan(request: unknown) {
    return this.call<InstallPlan & { clusterName: string }>('POST', '/api/cluster?dryRun=All', request);
  }

  progress(cluster: string) {
    return this.call<ProgressDto>('GET', `/api/cluster/${encodeURIComponent(cluster)}/progress`);
  }

  retry(cluster: string, thanos?: unknown) {
    return this.call<ProgressDto>('POST', `/api/cluster/${encodeURIComponent(cluster)}/retry`, thanos === undefined ? {} : { thanos });
  }

  rollback(cluster: string, deleteVolumeClaims = false) {
    return this.call<ProgressDto>('POST', `/api/cluster/${encodeURIComponent(cluster)}/rollback`, { deleteVolumeClaims });
  }

  verify(cluster: string) {
    return this.call<{ clusterName: string; workflowId: string; runId: string; webUiUrl: string }>('POST', `/api/cluster/${encodeURIComponent(cluster)}/verify`);
  }

  verifyProgress(cluster: string) {
    return this.call<ProgressDto>('GET', `/api/cluster/${encodeURIComponent(cluster)}/verify`);
  }

  uninstall(cluster: string, deleteVolumeClaims = false) {
    return this.call<{ workflowId: string; runId: string; webUiUrl: string }>(
      'DELETE',
      `/api/cluster/${encodeURIComponent(cluster)}/thanos${deleteVolumeClaims ? '?deleteVolumeClaims=true' : ''}`,
    );
  }
}
