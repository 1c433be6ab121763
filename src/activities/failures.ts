import { ApplicationFailure } from '@temporalio/activity';
import { describeRefusal, isTransient, KubeObjectError, kubeRefusalOf } from '../kube/errors';
import { RolloutTimedOut } from '../kube/wait';

/** Error types of Kubernetes failures, as the Web UI and the progress show them. */
export const KUBE_FAILURE_TYPES = {
  /** The API server refused the request, and will again until the operator changes something. */
  refused: 'KubernetesRequestRefused',
  /** A failure the step's next attempt may get past. */
  transient: 'KubernetesRequestFailed',
  rolloutTimedOut: 'RolloutTimedOut',
} as const;

/**
 * What an activity's error becomes in Temporal: Kubernetes refusals in the
 * server's words, naming the object, final at once unless retrying may help
 * (see isTransient); a rollout that timed out, final at once. Anything else
 * (cancellation, failures the activity made itself, network errors) as it is.
 */
export function asActivityFailure(err: unknown): unknown {
  if (err instanceof RolloutTimedOut) {
    return ApplicationFailure.create({ type: KUBE_FAILURE_TYPES.rolloutTimedOut, message: err.message, nonRetryable: true });
  }
  const refusal = kubeRefusalOf(err);
  if (refusal === undefined) return err;
  const transient = isTransient(refusal.code);
  const what = err instanceof KubeObjectError ? err.object : [refusal.kind, refusal.name].filter(Boolean).join(' ');
  return ApplicationFailure.create({
    type: transient ? KUBE_FAILURE_TYPES.transient : KUBE_FAILURE_TYPES.refused,
    message: `${what ? `${what}: ` : ''}the Kubernetes API server answered ${describeRefusal(refusal)}`,
    nonRetryable: !transient,
  });
}
