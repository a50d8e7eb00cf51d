/**
 * State deltas (spec/state-delta): what changed between two versions of a
 * run's JSON, so a version can be stored without repeating its predecessor.
 */
import { InvalidRunStateError } from '../errors.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * One operation on a JSON value: replace it, edit an object's keys, or keep an
 * array's first `a` elements, edit the next one in place (`m`) and append `e`.
 */
export type DeltaOp =
  | { r: Json }
  | { o: Record<string, DeltaOp>; x?: string[] }
  | { a: number; m?: DeltaOp; e: Json[] };

/** The stored document: `ops` applied to version `base_version` gives the row's version. */
export interface StateDeltaDocument {
  state_delta: 1;
  base_version: number;
  ops: DeltaOp;
}

const FORMAT_VERSION = 1;

// defineProperty, not assignment: a key named "__proto__" must stay a plain key, as in JSON.parse.
function setKey(target: JsonObject, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Equal as serialised JSON: same type and value, objects with the same keys in the same order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const aKeys = Object.keys(a);
    const bKeys = Object.keys(b);
    if (aKeys.length !== bKeys.length) return false;
    for (let i = 0; i < aKeys.length; i++) {
      if (aKeys[i] !== bKeys[i] || !jsonEqual(a[aKeys[i]], b[bKeys[i]])) return false;
    }
    return true;
  }
  return false;
}

function sameContainerKind(a: Json, b: Json): boolean {
  return (Array.isArray(a) && Array.isArray(b)) || (isObject(a) && isObject(b));
}

/** Shared keys in the same relative order, and every new key after the last shared one. */
function orderIsRebuildable(base: JsonObject, target: JsonObject): boolean {
  const baseOrder = Object.keys(base).filter((key) => Object.hasOwn(target, key));
  let shared = 0;
  let seenNew = false;
  for (const key of Object.keys(target)) {
    if (!Object.hasOwn(base, key)) {
      seenNew = true;
      continue;
    }
    if (seenNew || baseOrder[shared] !== key) return false;
    shared++;
  }
  return true;
}

function diffValue(base: Json, target: Json): DeltaOp | undefined {
  if (Array.isArray(base) && Array.isArray(target)) {
    const limit = Math.min(base.length, target.length);
    let prefix = 0;
    while (prefix < limit && jsonEqual(base[prefix], target[prefix])) prefix++;
    if (prefix === base.length && prefix === target.length) return undefined;
    // The first element that differs is often a record that grew (a list of
    // tool calls, a map kept as [key, value] pairs): edit it rather than repeat it.
    if (prefix < base.length && prefix < target.length && sameContainerKind(base[prefix], target[prefix])) {
      return { a: prefix, m: diffValue(base[prefix], target[prefix])!, e: target.slice(prefix + 1) };
    }
    return prefix === 0 ? { r: target } : { a: prefix, e: target.slice(prefix) };
  }
  if (isObject(base) && isObject(target)) {
    if (!orderIsRebuildable(base, target)) return { r: target };
    const ops: Record<string, DeltaOp> = {};
    let changed = false;
    for (const key of Object.keys(target)) {
      const op = Object.hasOwn(base, key) ? diffValue(base[key], target[key]) : { r: target[key] };
      if (op) {
        setKey(ops as JsonObject, key, op as unknown as Json);
        changed = true;
      }
    }
    const removed = Object.keys(base).filter((key) => !Object.hasOwn(target, key));
    if (removed.length > 0) return { o: ops, x: removed };
    return changed ? { o: ops } : undefined;
  }
  return jsonEqual(base, target) ? undefined : { r: target };
}

/** The operation turning `base` into `target` (spec/state-delta, "Writing"). */
export function diff(base: unknown, target: unknown): DeltaOp {
  return diffValue(base as Json, target as Json) ?? (isObject(target) ? { o: {} } : { r: target as Json });
}

function damaged(reason: string): InvalidRunStateError {
  return new InvalidRunStateError(`${reason}; the stored delta is damaged. Load an earlier version of the run.`);
}

/** `base` with `op` applied; `base` itself is not modified (unchanged parts are shared). */
export function applyDelta(base: unknown, op: DeltaOp): unknown {
  if (!isObject(op)) throw damaged('A state delta operation is not an object');
  if ('r' in op) return op.r;
  if ('a' in op) {
    if (!Array.isArray(base)) throw damaged('An array operation ("a") applies to a value that is not an array');
    const edited = op.m === undefined ? 0 : 1;
    if (!Number.isInteger(op.a) || op.a < 0 || op.a + edited > base.length || !Array.isArray(op.e)) {
      throw damaged(`An array operation keeps ${op.a + edited} elements of an array of ${base.length}`);
    }
    const kept = base.slice(0, op.a);
    return op.m === undefined ? [...kept, ...op.e] : [...kept, applyDelta(base[op.a], op.m) as Json, ...op.e];
  }
  if ('o' in op) {
    if (!isObject(base)) throw damaged('An object operation ("o") applies to a value that is not an object');
    if (!isObject(op.o) || (op.x !== undefined && !Array.isArray(op.x))) throw damaged('An object operation is malformed');
    const removed = new Set(op.x ?? []);
    const result: JsonObject = {};
    for (const [key, value] of Object.entries(base)) {
      if (removed.has(key)) continue;
      setKey(result, key, Object.hasOwn(op.o, key) ? (applyDelta(value, op.o[key]) as Json) : value);
    }
    for (const [key, child] of Object.entries(op.o)) {
      if (Object.hasOwn(base, key) && !removed.has(key)) continue;
      if (!isObject(child) || !('r' in child)) throw damaged(`Key "${key}" is new but its operation is not a replacement`);
      setKey(result, key, child.r);
    }
    return result;
  }
  throw damaged('A state delta operation is none of "r", "o", "a"');
}

/** Wraps `ops` as the stored document for a version whose predecessor is `baseVersion`. */
export function deltaDocument(baseVersion: number, ops: DeltaOp): StateDeltaDocument {
  return { state_delta: FORMAT_VERSION, base_version: baseVersion, ops };
}

/** Checks a stored document against the row it came from and applies it to `base`. */
export function applyDeltaDocument(base: unknown, document: unknown, version: number): unknown {
  if (!isObject(document)) throw damaged(`Version ${version} is stored as a delta that is not a JSON object`);
  if (document.state_delta !== FORMAT_VERSION) {
    throw new InvalidRunStateError(
      `Version ${version} is stored as a state delta of format ${JSON.stringify(document.state_delta)}, ` +
        `which this version of Timestep cannot read (it reads format ${FORMAT_VERSION}); upgrade Timestep to load it.`,
    );
  }
  if (document.base_version !== version - 1) {
    throw damaged(`Version ${version} is a delta on version ${JSON.stringify(document.base_version)}, not ${version - 1}`);
  }
  return applyDelta(base, document.ops as DeltaOp);
}
