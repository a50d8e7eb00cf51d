import { InvalidIdentifierError } from '../errors.js';

const MAX_IDENTIFIER_LENGTH = 512;

/**
 * Run and session ids may hold any text (they are always bound as query
 * parameters), but an empty or huge id is a bug in the caller, and PostgreSQL
 * text cannot hold NUL.
 */
export function checkIdentifier(kind: 'runId' | 'sessionId', value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidIdentifierError(`${kind} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}.`);
  }
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    throw new InvalidIdentifierError(`${kind} is ${value.length} characters long; the limit is ${MAX_IDENTIFIER_LENGTH}.`);
  }
  if (value.includes('\0')) {
    throw new InvalidIdentifierError(`${kind} contains a NUL character, which the store cannot hold.`);
  }
  return value;
}
