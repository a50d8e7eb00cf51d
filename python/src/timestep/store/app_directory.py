"""Where Timestep keeps its embedded store, the same directory the TypeScript package uses."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ..errors import UnusableDataDirectoryError


def app_directory(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """``TIMESTEP_HOME`` if set, otherwise the platform's per-user configuration directory."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("TIMESTEP_HOME"):
        return Path(env["TIMESTEP_HOME"])
    if platform == "win32":
        return Path(env.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "timestep"
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "timestep"
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "timestep"


def ensure_private_directory(path: Path) -> Path:
    """Creates ``path`` (and parents) readable only by the user, if it does not exist yet.

    Raises ``UnusableDataDirectoryError`` when it cannot (a file is in the way, no permission).
    """
    try:
        # exist_ok: another process may create it at the same moment.
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        problem = "it is a file, not a directory" if isinstance(error, FileExistsError) else str(error)
        raise UnusableDataDirectoryError(
            f"The embedded store's directory {path} cannot be used: {problem}. Point TIMESTEP_HOME (or pglite_path) "
            "at a directory you can create and write, or set TIMESTEP_DB_URL to use PostgreSQL.",
            str(path),
        ) from error
    return path
