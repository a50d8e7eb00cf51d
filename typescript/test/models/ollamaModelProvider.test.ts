import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '@openai/agents';
import { OllamaModelProvider } from '../../src/models/ollama/ollamaModelProvider.js';

const ENV_NAMES = ['OLLAMA_HOST', 'OLLAMA_API_KEY'] as const;

describe('OllamaModelProvider host resolution', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const name of ENV_NAMES) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
  });
  afterEach(() => {
    for (const name of ENV_NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  test('option, then OLLAMA_HOST, then http://localhost:11434', () => {
    assert.equal(new OllamaModelProvider().getModel('llama3').host, 'http://localhost:11434');
    process.env.OLLAMA_HOST = 'http://gpu-box:11434';
    assert.equal(new OllamaModelProvider().getModel('llama3').host, 'http://gpu-box:11434');
    assert.equal(new OllamaModelProvider({ host: 'http://127.0.0.1:9' }).getModel('llama3').host, 'http://127.0.0.1:9');
  });

  test('a -cloud model goes to ollama.com under its cloud name when no host is configured', () => {
    process.env.OLLAMA_API_KEY = 'key';
    const model = new OllamaModelProvider().getModel('gpt-oss:120b-cloud');
    assert.equal(model.host, 'https://ollama.com');
    assert.equal(model.name, 'gpt-oss:120b');
  });

  test('a -cloud model keeps its name on a configured (local) host', () => {
    process.env.OLLAMA_HOST = 'http://127.0.0.1:11434';
    const model = new OllamaModelProvider().getModel('gpt-oss:120b-cloud');
    assert.equal(model.host, 'http://127.0.0.1:11434');
    assert.equal(model.name, 'gpt-oss:120b-cloud');
  });

  test('ollama.com without an API key is refused up front', () => {
    assert.throws(() => new OllamaModelProvider().getModel('gpt-oss:120b-cloud'), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /OLLAMA_API_KEY/);
      return true;
    });
    assert.equal(new OllamaModelProvider({ apiKey: 'k' }).getModel('gpt-oss:120b-cloud').host, 'https://ollama.com');
  });

  test('models are created once per name; a missing name is an error', () => {
    const provider = new OllamaModelProvider({ host: 'http://127.0.0.1:11434' });
    assert.equal(provider.getModel('llama3'), provider.getModel('llama3'));
    assert.notEqual(provider.getModel('llama3'), provider.getModel('qwen3'));
    assert.throws(() => provider.getModel(), UserError);
    assert.throws(() => provider.getModel(''), UserError);
  });
});
