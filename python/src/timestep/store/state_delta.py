"""State deltas (spec/state-delta): what changed between two versions of a run's JSON.

A version can then be stored as the change against its predecessor instead of
whole. Values are JSON as ``json.loads`` returns it: dicts (key order matters),
lists, str, int, float, bool and None. Nothing here mutates its arguments;
results share unchanged parts with them.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import InvalidRunStateError

FORMAT_VERSION = 1
"""The ``state_delta`` format this module writes and the only one it reads."""

DeltaOp = dict[str, Any]
"""``{"r": V}``, ``{"o": {key: op}, "x": [key]}`` or ``{"a": n, "m": op, "e": [V]}`` (``m`` optional)."""


def _same_types_and_order(a: Any, b: Any) -> bool:
    """For values already ``==``: also the same types throughout, keys in the same order, same signed zeros."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        for (key_a, value_a), (key_b, value_b) in zip(a.items(), b.items(), strict=True):
            if key_a != key_b or not _same_types_and_order(value_a, value_b):
                return False
        return True
    if kind is list:
        for item_a, item_b in zip(a, b, strict=True):
            if item_a is not item_b and not _same_types_and_order(item_a, item_b):
                return False
        return True
    if kind is float:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


def json_equal(a: Any, b: Any) -> bool:
    """Equal as serialised JSON: same type and value, objects with the same keys in the same order.

    ``1``, ``1.0`` and ``True`` differ (they serialise differently), as do ``0.0`` and ``-0.0``.
    """
    if a is b:
        return True
    # Python's == is a quick (C) way to tell most differences; it ignores key
    # order and the type of numbers in containers, which are checked after.
    return type(a) is type(b) and a == b and _same_types_and_order(a, b)


def _order_is_rebuildable(base: dict[str, Any], target: dict[str, Any]) -> bool:
    """Shared keys in the same relative order, and every new key after the last shared one."""
    base_order = [key for key in base if key in target]
    shared = 0
    seen_new = False
    for key in target:
        if key not in base:
            seen_new = True
            continue
        if seen_new or base_order[shared] != key:
            return False
        shared += 1
    return True


def _same_container_kind(a: Any, b: Any) -> bool:
    return (type(a) is list and type(b) is list) or (type(a) is dict and type(b) is dict)


def _diff_value(base: Any, target: Any) -> DeltaOp | None:
    if type(base) is list and type(target) is list:
        limit = min(len(base), len(target))
        prefix = 0
        while prefix < limit and json_equal(base[prefix], target[prefix]):
            prefix += 1
        if prefix == len(base) == len(target):
            return None
        # The first element that differs is often a record that grew (a list of
        # tool calls, a map kept as [key, value] pairs): edit it rather than repeat it.
        if prefix < len(base) and prefix < len(target) and _same_container_kind(base[prefix], target[prefix]):
            return {"a": prefix, "m": _diff_value(base[prefix], target[prefix]), "e": target[prefix + 1 :]}
        return {"r": target} if prefix == 0 else {"a": prefix, "e": target[prefix:]}
    if type(base) is dict and type(target) is dict:
        if not _order_is_rebuildable(base, target):
            return {"r": target}
        ops: dict[str, DeltaOp] = {}
        for key, value in target.items():
            op = _diff_value(base[key], value) if key in base else {"r": value}
            if op is not None:
                ops[key] = op
        removed = [key for key in base if key not in target]
        if removed:
            return {"o": ops, "x": removed}
        return {"o": ops} if ops else None
    return None if json_equal(base, target) else {"r": target}


def diff(base: Any, target: Any) -> DeltaOp:
    """The operation turning ``base`` into ``target`` (spec/state-delta, "Writing").

    Unchanged is ``{"o": {}}`` for an object and ``{"r": target}`` for anything else.
    """
    op = _diff_value(base, target)
    if op is not None:
        return op
    return {"o": {}} if type(target) is dict else {"r": target}


def _damaged(reason: str) -> InvalidRunStateError:
    return InvalidRunStateError(f"{reason}; the stored delta is damaged. Load an earlier version of the run.")


def apply_delta(base: Any, op: Any) -> Any:
    """``base`` with ``op`` applied, as a new value; ``base`` is not modified.

    Raises ``InvalidRunStateError`` when ``op`` is malformed or does not fit ``base``.
    """
    if type(op) is not dict:
        raise _damaged("A state delta operation is not an object")
    if "r" in op:
        return op["r"]
    if "a" in op:
        if type(base) is not list:
            raise _damaged('An array operation ("a") applies to a value that is not an array')
        keep, extra = op["a"], op.get("e")
        edited = 0 if "m" not in op else 1
        if type(keep) is not int or not 0 <= keep <= len(base) - edited or type(extra) is not list:
            raise _damaged(f"An array operation keeps {keep + edited if type(keep) is int else keep!r} elements of an array of {len(base)}")
        if "m" not in op:
            return base[:keep] + extra
        return [*base[:keep], apply_delta(base[keep], op["m"]), *extra]
    if "o" in op:
        if type(base) is not dict:
            raise _damaged('An object operation ("o") applies to a value that is not an object')
        changes, removed_keys = op["o"], op.get("x", [])
        if type(changes) is not dict or type(removed_keys) is not list:
            raise _damaged("An object operation is malformed")
        removed = {key for key in removed_keys if type(key) is str}
        result: dict[str, Any] = {}
        for key, value in base.items():
            if key in removed:
                continue
            result[key] = apply_delta(value, changes[key]) if key in changes else value
        for key, child in changes.items():
            if key in base and key not in removed:
                continue
            if type(child) is not dict or "r" not in child:
                raise _damaged(f'Key "{key}" is new but its operation is not a replacement')
            result[key] = child["r"]
        return result
    raise _damaged('A state delta operation is none of "r", "o", "a"')


def delta_document(base_version: int, ops: DeltaOp) -> dict[str, Any]:
    """The stored document for a version whose predecessor is ``base_version``."""
    return {"state_delta": FORMAT_VERSION, "base_version": base_version, "ops": ops}


def apply_delta_document(base: Any, document: Any, version: int, *, run_id: str | None = None) -> Any:
    """Checks a stored document against the row (``version``) it came from and applies it to ``base``."""
    where = f"Version {version}" if run_id is None else f"Version {version} of run {run_id}"
    if type(document) is not dict:
        raise _damaged(f"{where} is stored as a delta that is not a JSON object")
    format_version = document.get("state_delta")
    if type(format_version) is not int or format_version != FORMAT_VERSION:
        raise InvalidRunStateError(
            f"{where} is stored as a state delta of format {json.dumps(format_version)}, which this version "
            f"of Timestep cannot read (it reads format {FORMAT_VERSION}); upgrade Timestep to load it."
        )
    base_version = document.get("base_version")
    if type(base_version) is not int or base_version != version - 1:
        raise _damaged(f"{where} is a delta on version {json.dumps(base_version)}, not {version - 1}")
    if "ops" not in document:
        raise _damaged(f"{where} is a delta without operations")
    try:
        return apply_delta(base, document["ops"])
    except InvalidRunStateError as error:
        raise InvalidRunStateError(f"{where} cannot be rebuilt: {error}") from None
