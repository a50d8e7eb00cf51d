import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError, type AgentInputItem } from '@openai/agents';
import { toOllamaMessages } from '../../src/models/ollama/ollamaMessages.js';

const PIXEL_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const pixelBytes = () => Buffer.from(PIXEL_BASE64, 'base64');

const call = (callId: string, city: string): AgentInputItem => ({
  type: 'function_call',
  callId,
  name: 'get_weather',
  arguments: JSON.stringify({ city }),
  status: 'completed',
});
const result = (callId: string, output: string): AgentInputItem => ({
  type: 'function_call_result',
  callId,
  name: 'get_weather',
  status: 'completed',
  output: { type: 'text', text: output },
});

describe('toOllamaMessages', () => {
  test('instructions and a plain string input', () => {
    assert.deepEqual(toOllamaMessages('Be brief.', 'hi'), [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  test('a multi-turn history: one assistant message per turn, tool results named', () => {
    const history: AgentInputItem[] = [
      { role: 'user', content: "What's 2+2?" },
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: '4.' }] },
      { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image: `data:image/png;base64,${PIXEL_BASE64}` }] },
      { type: 'reasoning', content: [], rawContent: [{ type: 'reasoning_text', text: 'Two cities.' }] },
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Checking.' }] },
      call('c1', 'Oakland'),
      call('c2', 'Berkeley'),
      result('c1', 'sunny'),
      result('c2', 'foggy'),
      { type: 'unknown', providerData: { from: 'elsewhere' } },
      // Streamed turns may list a call before the text of the same turn.
      call('c3', 'Alameda'),
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'One more.' }] },
      { role: 'system', content: 'Stay polite.' },
    ];
    assert.deepEqual(toOllamaMessages(undefined, history), [
      { role: 'user', content: "What's 2+2?" },
      { role: 'assistant', content: '4.' },
      { role: 'user', content: 'Weather?', images: [pixelBytes()] },
      {
        role: 'assistant',
        content: 'Checking.',
        thinking: 'Two cities.',
        tool_calls: [
          { function: { name: 'get_weather', arguments: { city: 'Oakland' } } },
          { function: { name: 'get_weather', arguments: { city: 'Berkeley' } } },
        ],
      },
      { role: 'tool', tool_name: 'get_weather', content: 'sunny' },
      { role: 'tool', tool_name: 'get_weather', content: 'foggy' },
      { role: 'assistant', content: 'One more.', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Alameda' } } }] },
      { role: 'system', content: 'Stay polite.' },
    ]);
  });

  test('consecutive assistant messages stay separate turns', () => {
    const history: AgentInputItem[] = [
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'One.' }] },
      { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Two.' }] },
    ];
    assert.deepEqual(toOllamaMessages(undefined, history), [
      { role: 'assistant', content: 'One.' },
      { role: 'assistant', content: 'Two.' },
    ]);
  });

  test('bare base64 images and image tool outputs', () => {
    const history: AgentInputItem[] = [
      { role: 'user', content: [{ type: 'input_image', image: PIXEL_BASE64 }] },
      call('c1', 'Oakland'),
      {
        type: 'function_call_result',
        callId: 'c1',
        name: 'get_weather',
        status: 'completed',
        output: [{ type: 'input_text', text: 'radar:' }, { type: 'input_image', image: `data:image/png;base64,${PIXEL_BASE64}` }],
      },
    ];
    const [user, , tool] = toOllamaMessages(undefined, history);
    assert.deepEqual(user, { role: 'user', content: '', images: [pixelBytes()] });
    assert.deepEqual(tool, { role: 'tool', tool_name: 'get_weather', content: 'radar:', images: [pixelBytes()] });
  });

  test('what Ollama cannot take is a UserError that says so', () => {
    const cases: Array<[AgentInputItem, RegExp]> = [
      [{ role: 'user', content: [{ type: 'input_image', image: 'https://example.com/cat.png' }] }, /not a URL/],
      [{ role: 'user', content: [{ type: 'input_image', image: { id: 'file_123' } }] }, /file ids/],
      [{ role: 'user', content: [{ type: 'input_image', image: 'data:image/png;base64,***' }] }, /base64/],
      [{ role: 'user', content: [{ type: 'input_file', file: 'data:application/pdf;base64,AAAA' }] }, /input_file/],
      [{ type: 'hosted_tool_call', name: 'web_search_call', status: 'completed' }, /hosted_tool_call/],
      [{ ...call('c1', 'x'), arguments: '[1]' } as AgentInputItem, /not a JSON object/],
    ];
    for (const [item, message] of cases) {
      assert.throws(() => toOllamaMessages(undefined, [item]), (error: unknown) => {
        assert.ok(error instanceof UserError, `${JSON.stringify(item)} → ${String(error)}`);
        assert.match(error.message, message);
        return true;
      });
    }
  });
});
