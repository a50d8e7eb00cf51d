/**
 * Refuses JSON values the store cannot keep faithfully, before anything is
 * written. PostgreSQL text and jsonb cannot hold a NUL character, UTF-8 cannot
 * encode a lone UTF-16 surrogate (the driver would send U+FFFD instead), and
 * JSON has no NaN or infinity (JSON.stringify silently writes null). Without
 * this check such a value fails in the database with a raw driver error, or
 * is silently changed.
 */
import { UnstorableValueError } from '../errors.js';

const UNSTORABLE_CHARACTER = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ADVICE = 'Nothing was written; remove or replace the value and try again.';

/** What is wrong with one JSON member, or undefined if it can be stored. */
function problemOf(key: string, value: unknown): string | undefined {
  if (UNSTORABLE_CHARACTER.test(key)) return `(its key) ${describeCharacter(key)}`;
  if (typeof value === 'string' && UNSTORABLE_CHARACTER.test(value)) return describeCharacter(value);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return `is ${value}, which JSON cannot represent (it would be stored as null)`;
  }
  return undefined;
}

function describeCharacter(text: string): string {
  const found = UNSTORABLE_CHARACTER.exec(text)!;
  const what =
    found[0] === '\0'
      ? 'a NUL character (\\u0000), which PostgreSQL cannot store'
      : `a lone surrogate (U+${found[0].charCodeAt(0).toString(16).toUpperCase()}), which is not valid Unicode`;
  return `contains ${what} at index ${found.index}`;
}

function memberPath(parent: string, key: string, holder: unknown): string {
  if (Array.isArray(holder)) return `${parent}[${key}]`;
  return PLAIN_KEY.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * `JSON.stringify(value)`, or `UnstorableValueError` naming the first member
 * that cannot be stored; `path` names `value` (e.g. `$.items[3]`) and the
 * error's path extends it to the member (e.g. `$.items[3].output`). Values
 * JSON cannot hold at all (cycles, BigInt) throw JSON.stringify's TypeError,
 * for the caller to report in its own terms.
 */
export function storableJson(value: unknown, path: string): string {
  let unstorable = false;
  // The replacer sees each member after toJSON(), exactly as it is written.
  const text = JSON.stringify(value, (key, member: unknown) => {
    if (!unstorable && problemOf(key, member) !== undefined) unstorable = true;
    return member;
  });
  if (unstorable) throw locate(value, path);
  return text;
}

/** A second, slower pass that tracks paths, only once something was found. */
function locate(value: unknown, path: string): UnstorableValueError {
  const paths = new Map<unknown, string>();
  let error: UnstorableValueError | undefined;
  JSON.stringify(value, function (this: unknown, key: string, member: unknown) {
    if (error) return undefined;
    // The first holder is JSON.stringify's own wrapper around the value.
    const parent = paths.get(this);
    const where = parent === undefined ? path : memberPath(parent, key, this);
    const problem = problemOf(key, member);
    if (problem !== undefined) {
      error = new UnstorableValueError(`${where} ${problem}. ${ADVICE}`, where);
      return undefined;
    }
    if (member !== null && typeof member === 'object') paths.set(member, where);
    return member;
  });
  return error!;
}
