/**
 * Timestep: durable, cross-language runs for the OpenAI Agents SDK.
 */
export { runAgent, type RunAgentOptions, type RunAgentInput } from './runner/runAgent.js';
export { consumeResult } from './runner/consumeResult.js';
export {
  RunStateStore,
  type RunStateStoreOptions,
  type RunStateVersion,
  type RunStatus,
  type PendingApproval,
  type SaveOptions,
  type LoadOptions,
} from './store/runStateStore.js';
export { DurableSession, type DurableSessionOptions } from './session/durableSession.js';
export { resolveStoreTarget, type StoreOptions, type StoreTarget } from './store/connect.js';
export { appDirectory } from './store/appDirectory.js';
export * from './portable-state/index.js';
export * from './errors.js';
export { MultiModelProvider, type MultiModelProviderOptions } from './models/multiModelProvider.js';
export { MultiModelProviderMap } from './models/multiModelProviderMap.js';
export { OllamaModelProvider, type OllamaModelProviderOptions } from './models/ollama/ollamaModelProvider.js';
export { OllamaModel, type OllamaModelOptions } from './models/ollama/ollamaModel.js';
export { UnknownModelPrefixError, EmptyModelNameError, OllamaConnectionError } from './models/errors.js';
export { submitRun, type DurableOptions } from './durable/durableRun.js';
export { RunWorker, type RunWorkerOptions, type RunWorkerEvent } from './worker/runWorker.js';
export { idempotent } from './durable/journalingTools.js';
export { graphFingerprint } from './durable/graphFingerprint.js';
export {
  DurableRunError,
  DurableRunConflictError,
  DurableRunMismatchError,
  DurableRunDivergedError,
  DurableRunUnsupportedError,
  DurableRunUnreadableError,
} from './durable/errors.js';
export { durableStreamEvents, type DurableStreamEvent, type DurableStreamPosition } from './durable/durableStreamEvents.js';
