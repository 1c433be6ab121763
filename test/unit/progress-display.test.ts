import type { ApiAnswer, ProgressDto } from '../../src/client/api-client';
import { followProgress } from '../../src/cli/progress-display';

test('following an install whose worker has not answered yet waits for it, saying so once, instead of failing', async () => {
  const answers: ApiAnswer<ProgressDto>[] = [
    { httpStatus: 503, body: { status: 'Unknown', data: 'no worker answered within 3s' } },
    { httpStatus: 503, body: { status: 'Unknown', data: 'no worker answered within 3s' } },
    { httpStatus: 200, body: { status: 'Success', data: 'done', steps: [{ id: 'check-bucket', title: 'Check the bucket', state: 'succeeded', attempts: 1, result: 'ok' }] } },
  ];
  let stderr = '';
  const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, stdin: (async function* () {})() };
  const last = await followProgress(async () => answers.shift() as ApiAnswer<ProgressDto>, io, false, 1);
  expect(last.status).toBe('Success');
  expect(stderr).toBe('waiting for a worker: no worker answered within 3s\n✓ Check the bucket: ok\n');
});

test('any other refusal ends the following with the API\'s words', async () => {
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, stdin: (async function* () {})() };
  await expect(followProgress(async () => ({ httpStatus: 404, body: { status: 'Unknown', data: 'no install for cluster x' } as ProgressDto }), io, false, 1))
    .rejects.toThrow('progress: HTTP 404: no install for cluster x');
});
