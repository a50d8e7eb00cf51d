import { InvalidIdentifierError } from '../errors.js';

/** Counted in Unicode code points, as Python's `len`, so both languages accept the same ids. */
const MAX_IDENTIFIER_LENGTH = 512;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Run and session ids may hold any text (they are always bound as query
 * parameters), but an empty or huge id is a bug in the caller, and PostgreSQL
 * text cannot hold NUL.
 */
export function checkIdentifier(kind: 'runId' | 'sessionId', value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidIdentifierError(`${kind} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}.`);
  }
  // value.length counts UTF-16 units; only a long id needs counting code points.
  const length = value.length > MAX_IDENTIFIER_LENGTH ? [...value].length : value.length;
  if (length > MAX_IDENTIFIER_LENGTH) {
    throw new InvalidIdentifierError(`${kind} is ${length} characters long; the limit is ${MAX_IDENTIFIER_LENGTH}.`);
  }
  if (value.includes('\0')) {
    throw new InvalidIdentifierError(`${kind} contains a NUL character, which the store cannot hold.`);
  }
  const surrogate = LONE_SURROGATE.exec(value);
  if (surrogate) {
    // Not encodable as UTF-8: the driver would send U+FFFD, and distinct ids would collide.
    const code = surrogate[0].charCodeAt(0).toString(16).toUpperCase();
    throw new InvalidIdentifierError(`${kind} contains a lone surrogate (U+${code}), which is not valid Unicode.`);
  }
  return value;
}
