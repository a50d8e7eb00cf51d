import {
  InputGuardrailTripwireTriggered,
  OutputGuardrailTripwireTriggered,
  type AgentInputItem,
  type RunState,
  type Session,
} from '@openai/agents';

/** What a script does with a run that stopped for approvals: persist it, reload it, decide. */
export type ResumeInterrupted = (state: RunState<any, any>) => Promise<RunState<any, any>>;

/** Runs one turn; returns the final output, or the name of the guardrail that tripped. */
export type RunTurn = (input: string | AgentInputItem[] | RunState<any, any>) => Promise<{
  finalOutput?: unknown;
  interruptions: unknown[];
  state: RunState<any, any>;
}>;

export interface TurnOutcome {
  output?: unknown;
  tripped?: 'input' | 'output';
}

/**
 * Plays the user turns against a session. A turn a guardrail rejects is
 * removed from the session again, so later turns never see it; a turn that
 * stops for approval goes through `resume` and is run again from its state.
 */
export async function playConversation(
  turns: Array<string | AgentInputItem[]>,
  session: Session,
  runTurn: RunTurn,
  resume: ResumeInterrupted,
): Promise<TurnOutcome[]> {
  const outcomes: TurnOutcome[] = [];
  for (const turn of turns) {
    const before = (await session.getItems()).length;
    try {
      let result = await runTurn(turn);
      while (result.interruptions.length > 0) {
        result = await runTurn(await resume(result.state));
      }
      outcomes.push({ output: result.finalOutput });
    } catch (error) {
      if (!(error instanceof InputGuardrailTripwireTriggered || error instanceof OutputGuardrailTripwireTriggered)) {
        throw error;
      }
      while ((await session.getItems()).length > before) await session.popItem();
      outcomes.push({ tripped: error instanceof InputGuardrailTripwireTriggered ? 'input' : 'output' });
    }
  }
  return outcomes;
}
