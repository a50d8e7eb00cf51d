"""Typed errors raised by Timestep.

Every error says what went wrong and what to do about it; none of them carries
a database password. The names match the TypeScript package's.
"""

from __future__ import annotations


class TimestepError(Exception):
    """Base class of every error Timestep raises itself."""


class StoreUnavailableError(TimestepError):
    """The database could not be reached or failed while Timestep was using it."""


class StoreTimeoutError(StoreUnavailableError):
    """A wait on the store took longer than its limit.

    The limit is the ``timeout_ms`` option or ``TIMESTEP_STORE_TIMEOUT_MS``: the
    embedded store's host did not answer, or another client held the database
    too long.
    """


class UnstorableValueError(TimestepError):
    """A value cannot be stored as given: a NUL character, a lone surrogate, NaN or infinity.

    ``path`` names the offending value (e.g. ``$.items[3].output``). Nothing was written.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path
        """JSON path of the offending value."""


class EmbeddedStoreUnavailableError(TimestepError):
    """The embedded store cannot be used from Python: the Timestep CLI or Node.js is missing."""


class EmbeddedStoreLockedError(TimestepError):
    """The embedded store's files are open in another process."""

    def __init__(self, message: str, holder_pid: int, lock_path: str) -> None:
        super().__init__(message)
        self.holder_pid = holder_pid
        """Process id of the process holding the store."""
        self.lock_path = lock_path
        """Path of the lock file naming the holder."""


class UnusableDataDirectoryError(TimestepError):
    """The embedded store's directory cannot be used.

    The path is a file, cannot be created, or is too long for the unix socket
    the store is served on. Nothing was created in its place; the message says
    what to change.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path
        """The directory that cannot be used."""


class InsecureSocketDirectoryError(TimestepError):
    """The embedded store's socket directory is not private to this user.

    It is owned by someone else, open to group or others, or a symlink, so
    another user could serve a store of their own there and receive what is
    saved. Nothing was sent; the message says how to fix it.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path
        """The socket directory that failed the check."""


class StoreClosedError(TimestepError):
    """A store or session was used after ``close()``."""


class RunStateNotFoundError(TimestepError):
    """No saved state exists for the run (or for the requested version)."""

    def __init__(self, message: str, run_id: str, version: int | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.version = version


class InvalidRunStateError(TimestepError):
    """A run state could not be saved or loaded.

    It is malformed, truncated, of an unsupported schema version, damaged in
    storage, or names an agent or tool the given agent graph lacks. Nothing in
    the store was changed.
    """


class RunStateConflictError(TimestepError):
    """``save(expected_version=...)`` found a newer version than the caller expected."""

    def __init__(self, message: str, run_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class ApprovalNotFoundError(TimestepError):
    """``timestep runs approve|reject`` named a tool call the run's latest version is not waiting on.

    Nothing was recorded; ``timestep runs pending`` lists the calls waiting.
    """

    def __init__(self, message: str, run_id: str, call_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.call_id = call_id


class ApprovalAlreadyDecidedError(TimestepError):
    """The tool call already has a stored decision; a decision is single-use. Nothing was changed."""

    def __init__(self, message: str, run_id: str, call_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.call_id = call_id


class IncompatibleStoreError(TimestepError):
    """The store was written by a newer Timestep whose schema this version does not know."""


class InvalidIdentifierError(TimestepError):
    """A run or session id is empty, too long or contains a NUL character."""


class UnsupportedSdkVersionError(TimestepError):
    """The installed ``openai-agents`` is not a version this Timestep supports.

    ``installed_version`` is the version found, ``supported_versions`` the
    supported range (the package's dependency specifier). Install a supported
    version.
    """

    def __init__(self, message: str, sdk_name: str, installed_version: str, supported_versions: str) -> None:
        super().__init__(message)
        self.sdk_name = sdk_name
        self.installed_version = installed_version
        self.supported_versions = supported_versions
