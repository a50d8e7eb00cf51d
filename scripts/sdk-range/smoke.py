"""Run by scripts/sdk-range.sh in a throwaway virtualenv holding the built timestep
package and one openai-agents version. Modes:

- resume: a run paused for approval is saved, loaded by a new store, approved and finished
- unsupported: importing timestep fails with UnsupportedSdkVersionError naming the version

The model is the scripted server at OPENAI_BASE_URL (spec/scenarios/readme-quick-start.json);
the store is the PostgreSQL server at TIMESTEP_DB_URL.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from importlib.metadata import version

INSTALLED = version("openai-agents")


def check_unsupported() -> None:
    try:
        import timestep  # noqa: F401
    except Exception as error:  # the package's error classes cannot be imported either
        assert type(error).__name__ == "UnsupportedSdkVersionError", repr(error)
        assert f"but version {INSTALLED} is installed" in str(error), str(error)
        print(f"openai-agents {INSTALLED}: {type(error).__name__}: {error}")
        return
    raise AssertionError(f"import timestep succeeded with openai-agents {INSTALLED}")


async def resume() -> None:
    from agents import Agent, function_tool, set_tracing_disabled

    from timestep import DurableSession, RunStateStore, consume_result, run_agent

    set_tracing_disabled(True)

    @function_tool(needs_approval=True)
    def refund(orderId: str) -> str:  # noqa: N803 - the scenario's argument name, as in the TypeScript quick start
        """Refund an order."""
        return f"refunded {orderId}"

    agent = Agent(name="Support", instructions="Help customers.", tools=[refund], model="gpt-4.1")
    session_id = f"sdk-range-{uuid.uuid4()}"
    async with DurableSession(session_id) as session:
        first = await consume_result(await run_agent(agent, "Refund order 42", session, stream=True))
        assert len(first.interruptions) == 1, first.interruptions
        async with RunStateStore(agent, session_id=session_id) as writer:
            await writer.save(first.to_state())
        async with RunStateStore(agent, session_id=session_id) as reader:
            state = await reader.load()
            for request in state.get_interruptions():
                state.approve(request)
            finished = await run_agent(agent, state, session)
            assert finished.final_output == "Done: refunded 42.", finished.final_output
            versions = await reader.history()
            assert [(v.status, v.sdk_version) for v in versions] == [("interrupted", INSTALLED)], versions
            await reader.clear()
        await session.clear_session()
    print(f"openai-agents {INSTALLED}: saved, loaded, approved and resumed: {finished.final_output}")


if __name__ == "__main__":
    if sys.argv[1] == "unsupported":
        check_unsupported()
    else:
        assert sys.argv[1] == "resume", sys.argv[1]
        asyncio.run(resume())
