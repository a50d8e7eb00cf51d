/**
 * The one limit on every wait on the store: connecting, waiting for the
 * embedded store's host or for a turn at it, and each statement's round trip.
 * A wait past it fails with `StoreTimeoutError` instead of hanging.
 */
export const DEFAULT_STORE_TIMEOUT_MS = 30_000;

function invalid(source: string, given: string): RangeError {
  return new RangeError(`${source} must be a whole number of milliseconds above 0; got ${given}.`);
}

/** The `timeoutMs` option if given, else `TIMESTEP_STORE_TIMEOUT_MS`, else 30 000 ms. */
export function storeTimeoutMs(option?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) {
    if (!Number.isSafeInteger(option) || option <= 0) throw invalid('The timeoutMs store option', String(option));
    return option;
  }
  const fromEnv = env.TIMESTEP_STORE_TIMEOUT_MS?.trim();
  if (!fromEnv) return DEFAULT_STORE_TIMEOUT_MS;
  const value = Number(fromEnv);
  if (!/^\d+$/.test(fromEnv) || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid('TIMESTEP_STORE_TIMEOUT_MS', JSON.stringify(env.TIMESTEP_STORE_TIMEOUT_MS));
  }
  return value;
}
