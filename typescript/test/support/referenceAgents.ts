import { Agent, tool, type InputGuardrail, type OutputGuardrail, type AgentInputItem } from '@openai/agents';
import { z } from 'zod';

/**
 * The project's reference scenario (spec/scenarios/reference-eight-turns.json):
 * a Personal Assistant with two guardrails that hands weather questions to a
 * Weather Assistant whose tool needs approval for Berkeley.
 */
export interface ReferenceAgents {
  personalAssistant: Agent<any, any>;
  weatherAssistant: Agent<any, any>;
  /** Every city get_weather actually ran for, in order. */
  weatherCalls: string[];
}

export function referenceAgents(options: { model?: string; guardrailsInParallel?: boolean } = {}): ReferenceAgents {
  const model = options.model ?? 'gpt-4.1';
  const weatherCalls: string[] = [];
  const getWeather = tool({
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: z.object({ city: z.string() }),
    needsApproval: async (_context, { city }) => city.includes('Berkeley'),
    execute: async ({ city }) => {
      weatherCalls.push(city);
      return city === 'Berkeley' ? 'foggy, 58°F' : 'sunny, 68°F';
    },
  });
  const weatherAssistant = new Agent({
    name: 'Weather Assistant',
    instructions: 'You are a Weather Assistant. Use get_weather to answer questions about the weather.',
    handoffDescription: 'Answers questions about the weather.',
    model,
    tools: [getWeather],
  });
  const moonGuardrail: InputGuardrail = {
    name: 'no_moon',
    runInParallel: options.guardrailsInParallel ?? true,
    execute: async ({ input }) => {
      const text = JSON.stringify(input).toLowerCase();
      return { tripwireTriggered: text.includes('moon'), outputInfo: { mentionsMoon: text.includes('moon') } };
    },
  };
  const no47Guardrail: OutputGuardrail = {
    name: 'no_47',
    execute: async ({ agentOutput }) => ({
      tripwireTriggered: String(agentOutput).includes('47'),
      outputInfo: { output: agentOutput },
    }),
  };
  const personalAssistant = new Agent({
    name: 'Personal Assistant',
    instructions: 'You are a Personal Assistant. Hand weather questions to the Weather Assistant.',
    model,
    handoffs: [weatherAssistant],
    inputGuardrails: [moonGuardrail],
    outputGuardrails: [no47Guardrail],
  });
  return { personalAssistant, weatherAssistant, weatherCalls };
}

// A 1×1 red PNG.
const RED_PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** The eight user turns, in order. */
export const REFERENCE_TURNS: Array<string | AgentInputItem[]> = [
  "What's 2+2?",
  "What's the weather in Oakland?",
  "What's three times that number you calculated earlier?",
  "What's the weather in Berkeley?",
  "What's the weather on the Dark Side of the Moon?",
  "What's four times the last number we calculated minus one?",
  "What's four times the last number we calculated minus six?",
  [
    {
      role: 'user',
      content: [
        { type: 'input_text', text: 'What do you see in this image?' },
        { type: 'input_image', image: RED_PIXEL },
      ],
    },
  ],
];
