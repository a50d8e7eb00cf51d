/**
 * The portable run state: a language-neutral form of a paused or finished run
 * (spec/portable-run-state/) that the Python package reads and writes too.
 */
export { toPortableRunState, nativeJsonToPortable } from './toPortable.js';
export { fromPortableRunState, portableToNativeJson, type FromPortableOptions } from './fromPortable.js';
export { parsePortableRunState } from './validate.js';
export {
  PORTABLE_RUN_STATE_FORMAT,
  PORTABLE_RUN_STATE_VERSION,
  SUPPORTED_PORTABLE_RUN_STATE_VERSIONS,
  type PortableRunState,
  type PortableProducer,
  type PortableSdk,
  type PortableUsage,
  type PortableModelResponse,
  type PortableGeneratedItem,
  type PortableGeneratedItemType,
  type PortableInterruption,
  type PortableStep,
  type PortableApprovalRecord,
  type PortableGuardrailResult,
  type PortableTrace,
} from './portableRunState.js';
export { UnsupportedRunStateVersionError, AgentGraphMismatchError, UnportableRunStateError } from './errors.js';
export { toResponsesItem, fromResponsesItem, toolNamesByCallId, type ResponsesItem } from './responsesItems.js';
