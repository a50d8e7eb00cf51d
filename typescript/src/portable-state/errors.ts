import { InvalidRunStateError } from '../errors.js';

/**
 * A portable run state of a version this reader does not know (newer, or not
 * a version at all). Nothing was loaded; upgrade Timestep to read it.
 */
export class UnsupportedRunStateVersionError extends InvalidRunStateError {
  constructor(
    message: string,
    /** The version the state declares. */
    readonly version: unknown,
  ) {
    super(message);
  }
}

/**
 * The portable run state names an agent, a tool or a handoff that the agent
 * graph reachable from the given starting agent does not have.
 */
export class AgentGraphMismatchError extends InvalidRunStateError {
  constructor(
    message: string,
    /** The agent that is missing, or whose tool or handoff is missing. */
    readonly agentName: string,
    /** The missing tool (or handoff tool), when a tool is what is missing. */
    readonly toolName?: string,
  ) {
    super(message);
  }
}

/**
 * A native run state holds something portable version 1 cannot express (for
 * example a hosted-tool approval or a pending nested agent-tool run). The
 * native state itself is fine; only the other language cannot resume it.
 */
export class UnportableRunStateError extends InvalidRunStateError {}
