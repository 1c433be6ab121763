/**
 * Which Kubernetes failures go to the operator at once and which the step
 * tries again, and what the operator reads: the object and the server's words.
 */
import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { asActivityFailure, KUBE_FAILURE_TYPES } from '../../src/activities/failures';
import { KubeObjectError, naming } from '../../src/kube/errors';
import { RolloutTimedOut } from '../../src/kube/wait';

/** What the API server sends with a refusal, as the client hands it over (the body as text). */
function refusal(code: number, reason: string, message: string, details: object = {}): ApiException<unknown> {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
  return new ApiException(code, 'Unknown API Status Code!', JSON.stringify(status), { 'content-type': 'application/json' });
}

function classified(err: unknown): ApplicationFailure {
  const failure = asActivityFailure(err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

describe('the API server refusing a request', () => {
  test.each([
    [400, 'BadRequest'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [405, 'MethodNotAllowed'],
    [410, 'Gone'],
    [413, 'RequestEntityTooLarge'],
    [415, 'UnsupportedMediaType'],
    [422, 'Invalid'],
  ])('%i %s is final at once', (code, reason) => {
    const failure = classified(refusal(code, reason, `the server says ${reason}`));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe(KUBE_FAILURE_TYPES.refused);
  });

  test.each([
    [404, 'NotFound'],
    [408, 'Timeout'],
    [409, 'Conflict'],
    [429, 'TooManyRequests'],
    [500, 'InternalError'],
    [503, 'ServiceUnavailable'],
    [504, 'Timeout'],
  ])('%i %s is tried again', (code, reason) => {
    const failure = classified(refusal(code, reason, `the server says ${reason}`));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe(KUBE_FAILURE_TYPES.transient);
  });

  test('a refused write of a known object names it, with the server\'s message and none of the client\'s dump', () => {
    const message = 'services "thanos-receive-nodeport" is forbidden: exceeded quota: q, requested: services.nodeports=1, used: services.nodeports=0, limited: services.nodeports=0';
    const thrown = (() => {
      try {
        naming('Service tke/thanos-receive-nodeport')(refusal(403, 'Forbidden', message, { name: 'thanos-receive-nodeport', kind: 'services' }));
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toBeInstanceOf(KubeObjectError);
    expect((thrown as KubeObjectError).code).toBe(403);
    const failure = classified(thrown);
    expect(failure.message).toBe(`Service tke/thanos-receive-nodeport: the Kubernetes API server answered 403 Forbidden: ${message}`);
    expect(failure.nonRetryable).toBe(true);
  });

  test('without a known object, the one the server names is used', () => {
    const message = 'configmaps "tke-monitor-api" is forbidden: User "system:serviceaccount:tke:installer" cannot patch resource "configmaps" in API group "" in the namespace "tke"';
    const failure = classified(refusal(403, 'Forbidden', message, { name: 'tke-monitor-api', kind: 'configmaps' }));
    expect(failure.message).toBe(`configmaps tke-monitor-api: the Kubernetes API server answered 403 Forbidden: ${message}`);
  });

  test('an answer without a Status body still says its code', () => {
    const failure = classified(new ApiException(401, 'Unauthorized', undefined, {}));
    expect(failure.message).toBe('the Kubernetes API server answered 401');
    expect(failure.nonRetryable).toBe(true);
  });
});

test('a rollout that timed out is final at once, in its own words', () => {
  const failure = classified(new RolloutTimedOut(60_000, [{
    ref: { kind: 'Deployment', namespace: 'tke', name: 'tke-monitor-api' },
    status: { done: false, message: 'deployment tke-monitor-api: 0 of 1 updated replicas available' },
    pods: ['tke-monitor-api-6b9f-x2x: Running (Ready ContainersNotReady)'],
  }]));
  expect(failure.type).toBe(KUBE_FAILURE_TYPES.rolloutTimedOut);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(
    'timed out after 60s: deployment tke-monitor-api: 0 of 1 updated replicas available; pods: tke-monitor-api-6b9f-x2x: Running (Ready ContainersNotReady)',
  );
});

test('cancellation, the activity\'s own failures and network errors pass as they are', () => {
  const cancelled = new CancelledFailure('CANCELLED');
  const own = ApplicationFailure.create({ type: 'PreflightFailed', message: 'x', nonRetryable: true });
  const network = Object.assign(new Error('request to https://127.0.0.1:6443/api failed, reason: connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  for (const err of [cancelled, own, network]) expect(asActivityFailure(err)).toBe(err);
});
