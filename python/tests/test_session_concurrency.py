"""DurableSession under concurrent use: pops racing on PostgreSQL, one session shared by event loops and threads."""

from __future__ import annotations

import asyncio
from typing import Any

from timestep import DurableSession


def message(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


async def test_concurrent_pops_each_take_a_distinct_item(store_options: dict[str, Any], unique_id: str) -> None:
    # Issue 13 item 2: under READ COMMITTED a pop that lost the race for the
    # newest row used to delete nothing and return None, leaving items behind.
    items = [message(f"item {n}") for n in range(20)]
    sessions = [DurableSession(unique_id, **store_options) for _ in range(4)]
    try:
        await sessions[0].add_items(items)
        popped = await asyncio.gather(*(sessions[n % 4].pop_item() for n in range(20)))
        assert None not in popped
        assert sorted(item["content"] for item in popped if item is not None) == sorted(
            item["content"] for item in items
        )
        assert await sessions[0].get_items() == []
        assert await sessions[0].pop_item() is None
    finally:
        for session in sessions:
            await session.close()
