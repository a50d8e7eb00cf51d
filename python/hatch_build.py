"""Build hook: ships the repository's SQL migrations inside the package.

The migrations live once, in ``spec/migrations``, shared with the TypeScript
package. A wheel or sdist built from the repository gets a copy; a wheel built
from that sdist finds the copy already in ``src/timestep/migrations``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class MigrationsBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        spec = Path(self.root).parent / "spec" / "migrations"
        # An editable install reads spec/migrations in place; an sdist has no ../spec.
        if version == "editable" or not spec.is_dir():
            return
        target = "timestep/migrations" if self.target_name == "wheel" else "src/timestep/migrations"
        build_data["force_include"][str(spec)] = target
