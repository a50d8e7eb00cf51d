/**
 * The agents module `timestep worker --agents` loads in the CLI tests: the
 * Durable Stepper, recording its steps in the file STEPPER_EFFECTS_FILE names.
 */
import { stepAgent } from '../durable/stepAgent.js';

export const agents = [stepAgent({ effectsFile: process.env.STEPPER_EFFECTS_FILE! })];
