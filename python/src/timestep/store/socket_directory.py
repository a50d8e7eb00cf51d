"""The embedded store's socket directory must be the user's alone.

Whoever can create files in it can serve a store of their own there, and
every save would then go to them. The default app directory is private, but
a data directory given by path (``pglite_path``, ``TIMESTEP_HOME``) may sit
anywhere, so the socket directory is checked before every connection: owned
by this user, a real directory (not a symlink), no access for group or others
(mode 0700); a socket already in it must be this user's too. The same check
as ``socketDirectory.ts`` in the TypeScript package.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InsecureSocketDirectoryError


def _refuse(path: Path, problem: str, fix: str) -> InsecureSocketDirectoryError:
    return InsecureSocketDirectoryError(
        f"The embedded store's socket directory {path} {problem}, so another user could serve a store of "
        f"their own there and receive what you save. {fix}",
        str(path),
    )


def check_socket_directory(socket_path: Path, *, create: bool) -> None:
    """Raises ``InsecureSocketDirectoryError`` unless the directory of ``socket_path`` is private to this user.

    With ``create``, a missing directory is made (mode 0700) first; without
    it, a missing directory passes (nothing can be connected to there).
    """
    directory = socket_path.parent
    if not hasattr(os, "geteuid"):
        return  # Windows: no unix permissions to check
    if create:
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            pass  # checked below, whoever made it
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        raise _refuse(directory, "is not a directory (a symlink or a file)", f"Remove {directory}; Timestep creates it.")
    if info.st_uid != os.geteuid():
        raise _refuse(
            directory,
            f"belongs to user id {info.st_uid}, not you ({os.geteuid()})",
            f"Remove {directory} (Timestep creates it again, as yours), or use a data directory of your own.",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise _refuse(directory, f"has mode {mode:o}, open to group or others", f"Run `chmod 700 {directory}`.")
    try:
        socket_info = os.lstat(socket_path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(socket_info.st_mode) or socket_info.st_uid != os.geteuid():
        raise _refuse(
            directory,
            f"holds {socket_path}, which is not a socket of yours",
            f"Stop whatever serves it and remove {socket_path}.",
        )
