/**
 * Typed errors raised by Timestep. Every error says what went wrong and what
 * to do about it; none of them carries a database password.
 */

/** Base class of every error Timestep raises itself. */
export class TimestepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The database could not be reached or failed while Timestep was using it. */
export class StoreUnavailableError extends TimestepError {
  constructor(
    message: string,
    options: {
      cause?: unknown;
      /** True when the failure came before any statement was sent, so retrying cannot repeat a write. */
      nothingSent?: boolean;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.nothingSent = options.nothingSent ?? false;
  }

  readonly nothingSent: boolean;
}

/**
 * A wait on the store took longer than its limit (`timeoutMs` option or
 * `TIMESTEP_STORE_TIMEOUT_MS`): the embedded store's host did not answer, or
 * another client held the database too long. Nothing of the timed-out call
 * was committed unless `nothingSent` is false and the statement was a write
 * whose acknowledgement was lost.
 */
export class StoreTimeoutError extends StoreUnavailableError {}

/**
 * A value cannot be stored as given: a string holds a NUL character or a lone
 * UTF-16 surrogate, or a number is NaN or infinite. `path` names the offending
 * value (e.g. `$.items[3].output`). Nothing was written.
 */
export class UnstorableValueError extends TimestepError {
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

/** The embedded store's files are open in another process. */
export class EmbeddedStoreLockedError extends TimestepError {
  constructor(
    message: string,
    /** Process id of the process holding the store. */
    readonly holderPid: number,
    /** Path of the lock file naming the holder. */
    readonly lockPath: string,
  ) {
    super(message);
  }
}

/**
 * The embedded store's socket directory is not private to this user (owned by
 * someone else, open to group or others, a symlink), so another user could
 * serve a store of their own there and receive what is saved. Nothing was
 * sent. The message says how to fix it.
 */
export class InsecureSocketDirectoryError extends TimestepError {
  constructor(
    message: string,
    /** The socket directory that failed the check. */
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * The embedded store's directory cannot be used: the path is a file, cannot be
 * created, or is too long for the unix socket the store is served on. Nothing
 * was created in its place; the message says what to change.
 */
export class UnusableDataDirectoryError extends TimestepError {
  constructor(
    message: string,
    /** The directory that cannot be used. */
    readonly path: string,
  ) {
    super(message);
  }
}

/** A store or session was used after `close()`. */
export class StoreClosedError extends TimestepError {}

/** No saved state exists for the run (or for the requested version). */
export class RunStateNotFoundError extends TimestepError {
  constructor(
    message: string,
    readonly runId: string,
    readonly version?: number,
  ) {
    super(message);
  }
}

/**
 * A run state could not be saved or loaded: it is malformed, truncated, of an
 * unsupported schema version, damaged in storage, or names an agent or tool
 * the given agent graph lacks. Nothing in the store was changed.
 */
export class InvalidRunStateError extends TimestepError {}

/** `save({ expectedVersion })` found a newer version than the caller expected. */
export class RunStateConflictError extends TimestepError {
  constructor(
    message: string,
    readonly runId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(message);
  }
}

/** The store was written by a newer Timestep whose schema this version does not know. */
export class IncompatibleStoreError extends TimestepError {}

/** A run or session id is empty, too long or contains a NUL character. */
export class InvalidIdentifierError extends TimestepError {}

/**
 * The installed `@openai/agents` is not one this Timestep supports: its version
 * is outside `supportedVersions`, or a run state came from a second copy of the
 * SDK (one installed beside the copy Timestep uses). Install a supported
 * version so that a single copy remains.
 */
export class UnsupportedSdkVersionError extends TimestepError {
  constructor(
    message: string,
    readonly sdkName: string,
    /** The version of the copy Timestep uses. */
    readonly installedVersion: string,
    /** The supported versions, as an npm range (the package's peerDependencies). */
    readonly supportedVersions: string,
  ) {
    super(message);
  }
}

/**
 * `timestep runs approve|reject` named a tool call the run is not waiting on:
 * the latest version of the run has no pending approval with that call id.
 * Nothing was recorded; `timestep runs pending` lists the calls waiting.
 */
export class ApprovalNotFoundError extends TimestepError {
  constructor(
    message: string,
    readonly runId: string,
    readonly callId: string,
  ) {
    super(message);
  }
}

/** The tool call already has a stored decision; a decision is single-use. Nothing was changed. */
export class ApprovalAlreadyDecidedError extends TimestepError {
  constructor(
    message: string,
    readonly runId: string,
    readonly callId: string,
  ) {
    super(message);
  }
}
