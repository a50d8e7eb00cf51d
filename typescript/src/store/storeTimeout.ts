/**
 * The one limit on every wait on the store: connecting, waiting for the
 * embedded store's host or for a turn at it, and each statement's round trip.
 * A wait past it fails with `StoreTimeoutError` instead of hanging.
 */
export const DEFAULT_STORE_TIMEOUT_MS = 30_000;

/** The longest a timer (Node's setTimeout) and PostgreSQL's statement_timeout can hold: 2^31 - 1 ms, about 24.8 days. */
export const MAX_STORE_TIMEOUT_MS = 2_147_483_647;

const acceptable = (value: number) => Number.isSafeInteger(value) && value > 0 && value <= MAX_STORE_TIMEOUT_MS;

function invalid(source: string, given: string): RangeError {
  return new RangeError(`${source} must be a whole number of milliseconds from 1 to ${MAX_STORE_TIMEOUT_MS} (about 24 days); got ${given}.`);
}

/** The `timeoutMs` option if given, else `TIMESTEP_STORE_TIMEOUT_MS`, else 30 000 ms. */
export function storeTimeoutMs(option?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) {
    if (!acceptable(option)) throw invalid('The timeoutMs store option', String(option));
    return option;
  }
  const fromEnv = env.TIMESTEP_STORE_TIMEOUT_MS?.trim();
  if (!fromEnv) return DEFAULT_STORE_TIMEOUT_MS;
  const value = Number(fromEnv);
  if (!/^\d+$/.test(fromEnv) || !acceptable(value)) {
    throw invalid('TIMESTEP_STORE_TIMEOUT_MS', JSON.stringify(env.TIMESTEP_STORE_TIMEOUT_MS));
  }
  return value;
}
