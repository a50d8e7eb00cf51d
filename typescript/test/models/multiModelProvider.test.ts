import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Agent, Runner, setTracingDisabled, type Model, type ModelProvider } from '@openai/agents';
import { startModelServer, type ModelServer } from '../../../testing/model-server/server.mjs';
import { TimestepError } from '../../src/errors.js';
import { EmptyModelNameError, UnknownModelPrefixError } from '../../src/models/errors.js';
import { MultiModelProvider } from '../../src/models/multiModelProvider.js';
import { MultiModelProviderMap } from '../../src/models/multiModelProviderMap.js';
import { OllamaModel } from '../../src/models/ollama/ollamaModel.js';

setTracingDisabled(true);

const ECHO_SCENARIO = fileURLToPath(new URL('../../../spec/scenarios/echo.json', import.meta.url));

/** A provider that records the names it is asked for. */
function recordingProvider(): ModelProvider & { names: Array<string | undefined>; model: Model } {
  const model = {} as Model;
  const names: Array<string | undefined> = [];
  return {
    names,
    model,
    getModel(name?: string) {
      names.push(name);
      return model;
    },
  };
}

describe('MultiModelProvider routing', () => {
  test('a custom prefix reaches its provider with the rest of the name, split on the first "/" only', async () => {
    const custom = recordingProvider();
    const map = new MultiModelProviderMap();
    map.addProvider('custom', custom);
    const provider = new MultiModelProvider({ providerMap: map });
    assert.equal(await provider.getModel('custom/org/model:8b'), custom.model);
    assert.deepEqual(custom.names, ['org/model:8b']);
  });

  test('ollama/ names the Ollama model after the first "/"', async () => {
    const provider = new MultiModelProvider({ ollamaHost: 'http://127.0.0.1:11434' });
    const model = await provider.getModel('ollama/library/llama3:8b');
    assert.ok(model instanceof OllamaModel);
    assert.equal(model.name, 'library/llama3:8b');
    assert.equal(model.host, 'http://127.0.0.1:11434');
  });

  test('map entries win over the built-in prefixes, and the map stays live', async () => {
    const map = new MultiModelProviderMap();
    const provider = new MultiModelProvider({ providerMap: map });
    const mine = recordingProvider();
    map.addProvider('ollama', mine);
    assert.equal(await provider.getModel('ollama/llama3'), mine.model);
    map.removeProvider('ollama');
    assert.ok((await provider.getModel('ollama/llama3')) instanceof OllamaModel);
  });

  test('an unknown prefix is a typed error naming it and the known prefixes', async () => {
    const map = new MultiModelProviderMap();
    map.addProvider('anthropic', recordingProvider());
    const provider = new MultiModelProvider({ providerMap: map });
    await assert.rejects(provider.getModel('mistral/large'), (error: unknown) => {
      assert.ok(error instanceof UnknownModelPrefixError);
      assert.ok(error instanceof TimestepError);
      assert.equal(error.prefix, 'mistral');
      assert.deepEqual(error.knownPrefixes, ['openai', 'ollama', 'anthropic']);
      assert.match(error.message, /"mistral"/);
      assert.match(error.message, /openai, ollama, anthropic/);
      return true;
    });
  });

  test('a name containing "/" without a known prefix is an error, not an OpenAI model', async () => {
    const provider = new MultiModelProvider({ openaiApiKey: 'test' });
    await assert.rejects(provider.getModel('meta-llama/Llama-3-8B'), (error: unknown) => {
      assert.ok(error instanceof UnknownModelPrefixError);
      assert.match(error.message, /"openai\/meta-llama\/Llama-3-8B"/);
      return true;
    });
    await assert.rejects(provider.getModel('/gpt-4.1'), UnknownModelPrefixError);
  });

  test('a known prefix with no model name after it is a typed error, for every prefix', async () => {
    const custom = recordingProvider();
    const map = new MultiModelProviderMap();
    map.addProvider('custom', custom);
    const provider = new MultiModelProvider({ providerMap: map, openaiApiKey: 'test' });
    // `openai/${MODEL}` with MODEL unset: not the SDK's default model.
    await assert.rejects(provider.getModel('openai/'), (error: unknown) => {
      assert.ok(error instanceof EmptyModelNameError);
      assert.ok(error instanceof TimestepError);
      assert.equal(error.modelName, 'openai/');
      assert.equal(error.prefix, 'openai');
      assert.equal(
        error.message,
        'The model name "openai/" names no model after its prefix "openai/" (is a variable in it empty?); name one, e.g. "openai/gpt-4.1".',
      );
      return true;
    });
    await assert.rejects(provider.getModel('ollama/'), { name: 'EmptyModelNameError', prefix: 'ollama', message: /e\.g\. "ollama\/llama3\.2"/ });
    await assert.rejects(provider.getModel('custom/'), { name: 'EmptyModelNameError', prefix: 'custom' });
    assert.deepEqual(custom.names, [], 'the custom provider was not asked');
    // The prefix is checked first; a bare name and no name at all still work.
    await assert.rejects(provider.getModel('mistral/'), UnknownModelPrefixError);
    await assert.rejects(provider.getModel('/'), UnknownModelPrefixError);
    assert.equal(await provider.getModel('gpt-4.1'), await provider.getModel('openai/gpt-4.1'));
    assert.ok(await provider.getModel(undefined));
    assert.ok(await provider.getModel(''));
  });

  test('providers and their models are created once and reused', async () => {
    const provider = new MultiModelProvider({ openaiApiKey: 'test', ollamaHost: 'http://127.0.0.1:11434' });
    assert.equal(await provider.getModel('ollama/llama3'), await provider.getModel('ollama/llama3'));
    // The SDK's OpenAIProvider caches models per name, so equal instances mean one provider.
    assert.equal(await provider.getModel('gpt-4.1'), await provider.getModel('openai/gpt-4.1'));
    assert.equal(await provider.getModel(), await provider.getModel(undefined));
  });

  test('openaiClient cannot be combined with client settings', () => {
    assert.throws(
      () => new MultiModelProvider({ openaiClient: {} as never, openaiApiKey: 'k', openaiBaseURL: 'http://x' }),
      { name: 'TypeError', message: /openaiApiKey, openaiBaseURL/ },
    );
  });
});

describe('MultiModelProvider with OpenAI against the scripted server', () => {
  let server: ModelServer;
  before(async () => {
    server = await startModelServer({ scenarioPath: ECHO_SCENARIO });
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  const agent = new Agent({ name: 'Echo', instructions: 'Repeat the user.', model: 'openai/gpt-4.1' });

  test('Responses API by default', async () => {
    const runner = new Runner({
      modelProvider: new MultiModelProvider({ openaiBaseURL: `${server.url}/v1`, openaiApiKey: 'test' }),
    });
    const result = await runner.run(agent, 'hello');
    assert.equal(result.finalOutput, 'echo: hello');
    assert.deepEqual(server.requests, [{ api: 'responses', model: 'gpt-4.1', ruleId: 'echo', stream: false }]);
  });

  test('Chat Completions with openaiUseResponses: false', async () => {
    const runner = new Runner({
      modelProvider: new MultiModelProvider({
        openaiBaseURL: `${server.url}/v1`,
        openaiApiKey: 'test',
        openaiUseResponses: false,
      }),
    });
    const result = await runner.run(agent, 'hello');
    assert.equal(result.finalOutput, 'echo: hello');
    assert.deepEqual(server.requests, [{ api: 'chat.completions', model: 'gpt-4.1', ruleId: 'echo', stream: false }]);
  });

  test('OPENAI_BASE_URL and OPENAI_API_KEY apply when no options are given; openai/ keeps later "/"s', async () => {
    const saved = { base: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };
    process.env.OPENAI_BASE_URL = `${server.url}/v1`;
    process.env.OPENAI_API_KEY = 'test';
    try {
      const runner = new Runner({ modelProvider: new MultiModelProvider() });
      const prefixed = new Agent({ name: 'Echo', instructions: 'Repeat.', model: 'openai/meta-llama/Llama-3-8B' });
      assert.equal((await runner.run(prefixed, 'one')).finalOutput, 'echo: one');
      const bare = new Agent({ name: 'Echo', instructions: 'Repeat.', model: 'gpt-4.1-mini' });
      assert.equal((await runner.run(bare, 'two')).finalOutput, 'echo: two');
      assert.deepEqual(
        server.requests.map(({ api, model }) => ({ api, model })),
        [
          { api: 'responses', model: 'meta-llama/Llama-3-8B' },
          { api: 'responses', model: 'gpt-4.1-mini' },
        ],
      );
    } finally {
      restoreEnv('OPENAI_BASE_URL', saved.base);
      restoreEnv('OPENAI_API_KEY', saved.key);
    }
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
