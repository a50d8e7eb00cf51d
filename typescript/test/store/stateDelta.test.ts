import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InvalidRunStateError } from '../../src/index.js';
import { applyDelta, applyDeltaDocument, deltaDocument, diff, jsonEqual, type DeltaOp } from '../../src/store/stateDelta.js';
import { REPO_ROOT } from '../support/environment.js';

interface Case {
  name: string;
  base: unknown;
  target: unknown;
  delta: DeltaOp;
}

const cases: Case[] = JSON.parse(readFileSync(`${REPO_ROOT}spec/state-delta/vectors/cases.json`, 'utf8'));

describe('state delta vectors (spec/state-delta/vectors/cases.json)', () => {
  for (const { name, base, target, delta } of cases) {
    test(name, () => {
      assert.deepEqual(diff(base, target), delta);
      const rebuilt = applyDelta(base, delta);
      // Same keys in the same order: the serialised text must come back byte for byte.
      assert.equal(JSON.stringify(rebuilt), JSON.stringify(target));
    });
  }
});

describe('state delta', () => {
  test('applying leaves the base untouched', () => {
    const base = { items: [{ id: 'a' }], usage: { requests: 1 } };
    const before = JSON.stringify(base);
    const target = { items: [{ id: 'a' }, { id: 'b' }], usage: { requests: 2 } };
    assert.deepEqual(applyDelta(base, diff(base, target)), target);
    assert.equal(JSON.stringify(base), before);
  });

  test('a key named __proto__ stays a plain key', () => {
    const base = JSON.parse('{"a":1}');
    const target = JSON.parse('{"a":1,"__proto__":{"polluted":true}}');
    const rebuilt = applyDelta(base, diff(base, target)) as Record<string, unknown>;
    assert.equal(JSON.stringify(rebuilt), JSON.stringify(target));
    assert.equal(Object.getPrototypeOf(rebuilt), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('equality is that of the serialised text', () => {
    assert.ok(jsonEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] }));
    assert.ok(!jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 }));
    assert.ok(!jsonEqual([1], [1, 2]));
    assert.ok(!jsonEqual(0, false));
    assert.ok(!jsonEqual(null, {}));
  });

  test('random edits of nested JSON rebuild exactly', () => {
    // A deterministic generator, so a failure names a reproducible seed.
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const randomValue = (depth: number): unknown => {
      const pick = next();
      if (depth > 3 || pick < 0.3) return [null, true, 3, 'x', 2.5][Math.floor(next() * 5)];
      if (pick < 0.65) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}`, randomValue(depth + 1)]));
    };
    const mutate = (value: unknown, depth: number): unknown => {
      if (Array.isArray(value)) {
        const copy = value.map((element) => (next() < 0.2 ? mutate(element, depth + 1) : element));
        if (next() < 0.5) copy.push(randomValue(depth + 1));
        if (next() < 0.2) copy.splice(0, 1);
        return copy;
      }
      if (value && typeof value === 'object') {
        const copy: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(value)) if (next() > 0.1) copy[key] = next() < 0.3 ? mutate(child, depth + 1) : child;
        if (next() < 0.3) copy[`n${Math.floor(next() * 9)}`] = randomValue(depth + 1);
        return copy;
      }
      return next() < 0.5 ? value : randomValue(depth);
    };
    for (let i = 0; i < 500; i++) {
      const base = randomValue(0);
      const target = mutate(base, 0);
      const delta = JSON.parse(JSON.stringify(diff(base, target)));
      assert.equal(JSON.stringify(applyDelta(base, delta)), JSON.stringify(target), `seed round ${i}`);
    }
  });

  describe('damaged documents are InvalidRunStateError', () => {
    const base = { items: [1, 2] };
    const damaged: Array<[string, unknown, RegExp]> = [
      ['a newer format', { state_delta: 2, base_version: 4, ops: { o: {} } }, /format 2.*upgrade Timestep/],
      ['no format', { base_version: 4, ops: { o: {} } }, /format undefined/],
      ['the wrong base', { state_delta: 1, base_version: 3, ops: { o: {} } }, /delta on version 3, not 4/],
      ['not an object', [1, 2], /not a JSON object/],
      ['an array op on an object', { state_delta: 1, base_version: 4, ops: { a: 0, e: [] } }, /not an array/],
      ['an object op on an array', deltaDocument(4, { o: { items: { o: {} } } }), /not an object/],
      ['keeping more than there is', deltaDocument(4, { o: { items: { a: 3, e: [] } } }), /keeps 3 elements of an array of 2/],
      ['editing an element past the end', deltaDocument(4, { o: { items: { a: 2, m: { r: 0 }, e: [] } } }), /keeps 3 elements of an array of 2/],
      ['editing a missing key', deltaDocument(4, { o: { other: { a: 0, e: [] } } }), /"other" is new/],
      ['an unknown op', deltaDocument(4, { o: { items: { z: 1 } as unknown as DeltaOp } }), /none of/],
    ];
    for (const [name, document, message] of damaged) {
      test(name, () => {
        assert.throws(
          () => applyDeltaDocument(base, document, 5),
          (error: unknown) => error instanceof InvalidRunStateError && message.test(error.message),
        );
      });
    }
  });
});
