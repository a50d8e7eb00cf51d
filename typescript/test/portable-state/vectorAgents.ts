import { Agent, tool, type InputGuardrail, type OutputGuardrail } from '@openai/agents';
import { z } from 'zod';

/**
 * The agent graph of the portable-run-state golden vectors, exactly as
 * spec/portable-run-state/vectors/README.md defines it (the Python vectors are
 * built from the same definition).
 */
export interface VectorAgents {
  personalAssistant: Agent<any, any>;
  weatherAssistant: Agent<any, any>;
  /** Every get_weather call that actually ran, in order. */
  toolRuns: Array<{ tool: string; arguments: Record<string, unknown> }>;
}

export const PERSONAL_ASSISTANT = 'Personal Assistant';
export const WEATHER_ASSISTANT = 'Weather Assistant';

export function weatherFor(city: string, units: unknown): string {
  const foggy = city.includes('Berkeley');
  const temperature = units === 'C' ? (foggy ? '14°C' : '20°C') : foggy ? '58°F' : '68°F';
  return `${city}: ${foggy ? 'foggy' : 'sunny'}, ${temperature}`;
}

export function vectorAgents(options: { withoutTool?: boolean; withoutWeatherAssistant?: boolean } = {}): VectorAgents {
  const toolRuns: VectorAgents['toolRuns'] = [];
  const getWeather = tool({
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: z.object({ city: z.string() }),
    needsApproval: async (_context, { city }) => city.includes('Berkeley'),
    execute: async ({ city }, runContext) => {
      toolRuns.push({ tool: 'get_weather', arguments: { city } });
      const context = runContext?.context as { units?: unknown } | undefined;
      return weatherFor(city, context && typeof context === 'object' ? context.units : undefined);
    },
  });
  const weatherAssistant = new Agent({
    name: WEATHER_ASSISTANT,
    instructions: 'You are a Weather Assistant. Use get_weather to answer questions about the weather.',
    handoffDescription: 'Answers questions about the weather.',
    model: 'gpt-4.1',
    tools: options.withoutTool ? [] : [getWeather],
  });
  const noMoon: InputGuardrail = {
    name: 'no_moon',
    runInParallel: false,
    execute: async ({ input }) => {
      const mentionsMoon = JSON.stringify(input).toLowerCase().includes('moon');
      return { tripwireTriggered: mentionsMoon, outputInfo: { mentions_moon: mentionsMoon } };
    },
  };
  const no47: OutputGuardrail = {
    name: 'no_47',
    execute: async ({ agentOutput }) => {
      const contains47 = String(agentOutput).includes('47');
      return { tripwireTriggered: contains47, outputInfo: { contains_47: contains47 } };
    },
  };
  const personalAssistant = new Agent({
    name: PERSONAL_ASSISTANT,
    instructions: 'You are a Personal Assistant. Hand weather questions to the Weather Assistant.',
    model: 'gpt-4.1',
    handoffs: options.withoutWeatherAssistant ? [] : [weatherAssistant],
    inputGuardrails: [noMoon],
    outputGuardrails: [no47],
  });
  return { personalAssistant, weatherAssistant, toolRuns };
}
