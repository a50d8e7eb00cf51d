import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Model, ModelProvider } from '@openai/agents';
import { MultiModelProviderMap } from '../../src/models/multiModelProviderMap.js';

function provider(): ModelProvider {
  return { getModel: () => ({}) as Model };
}

describe('MultiModelProviderMap', () => {
  test('add, get, has, remove', () => {
    const map = new MultiModelProviderMap();
    const first = provider();
    const second = provider();
    assert.equal(map.hasPrefix('custom'), false);
    assert.equal(map.getProvider('custom'), undefined);

    map.addProvider('custom', first);
    assert.equal(map.hasPrefix('custom'), true);
    assert.equal(map.getProvider('custom'), first);

    map.addProvider('custom', second);
    assert.equal(map.getProvider('custom'), second, 'adding again replaces');

    map.removeProvider('custom');
    assert.equal(map.hasPrefix('custom'), false);
    map.removeProvider('custom'); // removing an absent prefix is fine
  });

  test('getMapping returns an independent copy', () => {
    const map = new MultiModelProviderMap();
    const p = provider();
    map.addProvider('a', p);
    const copy = map.getMapping();
    assert.deepEqual([...copy], [['a', p]]);
    copy.set('b', provider());
    copy.delete('a');
    assert.equal(map.hasPrefix('a'), true);
    assert.equal(map.hasPrefix('b'), false);
  });

  test('setMapping replaces every entry and keeps no link to its argument', () => {
    const map = new MultiModelProviderMap();
    map.addProvider('old', provider());
    const p = provider();
    const mapping = new Map([['new', p]]);
    map.setMapping(mapping);
    assert.deepEqual([...map.getMapping()], [['new', p]]);
    mapping.set('later', provider());
    assert.equal(map.hasPrefix('later'), false);
  });

  test('setMapping with an invalid entry changes nothing', () => {
    const map = new MultiModelProviderMap();
    const p = provider();
    map.addProvider('kept', p);
    assert.throws(() => map.setMapping(new Map([['fine', provider()], ['bad/prefix', provider()]])), TypeError);
    assert.deepEqual([...map.getMapping()], [['kept', p]]);
  });

  test('invalid prefixes are TypeErrors that say why', () => {
    const map = new MultiModelProviderMap();
    assert.throws(() => map.addProvider('', provider()), { name: 'TypeError', message: /non-empty/ });
    assert.throws(() => map.addProvider('a/b', provider()), { name: 'TypeError', message: /cannot contain "\/"/ });
    assert.throws(() => map.addProvider(42 as unknown as string, provider()), { name: 'TypeError', message: /non-empty string/ });
    for (const call of [() => map.getProvider(''), () => map.hasPrefix('x/y'), () => map.removeProvider('')]) {
      assert.throws(call, TypeError);
    }
  });

  test('a provider must have getModel()', () => {
    const map = new MultiModelProviderMap();
    assert.throws(() => map.addProvider('p', {} as ModelProvider), { name: 'TypeError', message: /"p".*getModel/ });
    assert.throws(() => map.addProvider('p', null as unknown as ModelProvider), TypeError);
  });
});
