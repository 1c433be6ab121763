/**
 * Calls that share their answer while one is running: `share(key, run)` runs
 * `run` unless a call with the same key is still running, in which case it
 * answers what that one answers. Nothing is kept once a call settles, so a
 * later call always runs again.
 */
export class InFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  share(key: string, run: () => Promise<T>): Promise<T> {
    const joined = this.running.get(key);
    if (joined !== undefined) return joined;
    const started = run().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }
}
