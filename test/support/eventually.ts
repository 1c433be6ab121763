/** Polls `probe` until it returns a value (not undefined); the last error or value explains a timeout. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting until ${what}${last ? ` (last: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
