import { InFlight } from '../../src/api/in-flight';

/** A call that answers when told to, counting how often it ran. */
function controlled() {
  let runs = 0;
  let answer: (value: string) => void = () => {};
  const run = () => {
    runs++;
    return new Promise<string>((resolve) => {
      answer = resolve;
    });
  };
  return { run, answer: (value: string) => answer(value), runs: () => runs };
}

test('identical calls at the same time run once and get the same answer', async () => {
  const shared = new InFlight<string>();
  const call = controlled();
  const first = shared.share('cluster-a', call.run);
  const second = shared.share('cluster-a', call.run);
  call.answer('no drift');
  expect(await Promise.all([first, second])).toEqual(['no drift', 'no drift']);
  expect(call.runs()).toBe(1);
});

test('a call after the last one settled runs again, and other keys never share', async () => {
  const shared = new InFlight<string>();
  const call = controlled();
  const first = shared.share('cluster-a', call.run);
  call.answer('before the edit');
  await first;
  const later = shared.share('cluster-a', call.run);
  call.answer('drift found');
  expect(await later).toBe('drift found');
  const other = controlled();
  const b = shared.share('cluster-b', other.run);
  other.answer('cluster b');
  expect(await b).toBe('cluster b');
  expect([call.runs(), other.runs()]).toEqual([2, 1]);
});

test('a failed call is not kept: the next one runs', async () => {
  const shared = new InFlight<string>();
  await expect(shared.share('k', () => Promise.reject(new Error('worker down')))).rejects.toThrow('worker down');
  expect(await shared.share('k', () => Promise.resolve('answered'))).toBe('answered');
});
