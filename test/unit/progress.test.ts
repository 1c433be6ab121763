import { failAttempt, newSteps, resetForRetry, startAttempt, stepTable, succeed, type Progress } from '../../src/workflows/progress';
import { INSTALL_STEPS, REMOVAL_STEPS } from '../../src/workflows/steps';

function progress(): Progress {
  return {
    kind: 'install',
    clusterName: 'global',
    phase: 'Running',
    message: 'installing',
    steps: newSteps(INSTALL_STEPS),
    rollbackSteps: [],
    notes: [],
  };
}

describe('step progress', () => {
  test('attempts accumulate across a retry and the last error is kept until success', () => {
    const [step] = progress().steps;
    if (!step) throw new Error('no steps');
    startAttempt(step, 1000);
    failAttempt(step, 1500, 'bucket rejected', false);
    expect(step).toMatchObject({ state: 'retrying', attempts: 1, lastError: 'bucket rejected', startedAt: 1000 });
    startAttempt(step, 2000);
    failAttempt(step, 2500, 'bucket rejected again', true);
    expect(step).toMatchObject({ state: 'failed', attempts: 2, finishedAt: 2500 });
    resetForRetry(step);
    expect(step).toMatchObject({ state: 'pending', attempts: 2, finishedAt: undefined });
    startAttempt(step, 9000);
    succeed(step, 9400, 'bucket ok');
    expect(step).toMatchObject({ state: 'succeeded', attempts: 3, startedAt: 1000, finishedAt: 9400, result: 'bucket ok' });
    expect(step.lastError).toBeUndefined();
  });
});

describe('the step table shown in the Web UI', () => {
  test('has one row per step with state, attempts, time and the result or error, pipes escaped', () => {
    const p = progress();
    const [first, second] = p.steps;
    if (!first || !second) throw new Error('no steps');
    startAttempt(first, 0);
    succeed(first, 1500, 'listed | written');
    startAttempt(second, 1500);
    failAttempt(second, 1700, 'NodePort 31141 is already used', true);
    p.phase = 'WaitingForOperator';
    p.message = 'Preflight failed';
    const lines = stepTable(p, 2000).split('\n');
    expect(lines[0]).toBe('**WaitingForOperator**: Preflight failed');
    const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| Step'));
    expect(rows).toHaveLength(INSTALL_STEPS.length);
    expect(rows[0]).toBe('| ✓ Check the object storage bucket | succeeded | 1 | 1.5 s | listed \\| written |');
    expect(rows[1]).toContain('| failed | 1 | 200 ms | NodePort 31141 is already used |');
    expect(rows[2]).toBe(`| · ${INSTALL_STEPS[2].title} | pending | 0 |  |  |`);
  });

  test('shows the rollback steps and the notes once there are any', () => {
    const p = progress();
    p.rollbackSteps = newSteps(REMOVAL_STEPS);
    p.notes = ['GLOBAL_NODE_IP is 127.0.2.10'];
    const table = stepTable(p, 0);
    expect(table).toContain('**Rollback**');
    expect(table).toContain(REMOVAL_STEPS[0].title);
    expect(table.split('\n').pop()).toBe('- GLOBAL_NODE_IP is 127.0.2.10');
  });
});
