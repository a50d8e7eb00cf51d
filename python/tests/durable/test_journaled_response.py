"""A model response as a journal body and back, in this version's trimmed form and in earlier versions' forms,
and replayed with this SDK's tool names."""

from __future__ import annotations

from agents import Agent, function_tool, handoff
from agents.items import ModelResponse
from agents.usage import Usage, deserialize_usage
from openai.types.responses import ResponseFunctionToolCall

from timestep.durable.journaled_response import response_from_journal, response_to_journal, with_own_tool_names

CALL = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "record_step", "arguments": '{"step":1}', "status": "completed"}


def test_usage_fields_holding_what_a_reader_assumes_are_left_out_and_restored() -> None:
    response = ModelResponse(
        output=[ResponseFunctionToolCall(**CALL)],  # type: ignore[arg-type]
        usage=Usage(requests=1, input_tokens=20, output_tokens=6, total_tokens=26),
        response_id="resp_1",
    )
    body = response_to_journal(response, 1)
    assert body == {"input_items": 1, "response_id": "resp_1", "usage": {"input_tokens": 20, "output_tokens": 6}, "output": [CALL]}
    usage = response_from_journal(body).usage
    assert (usage.requests, usage.input_tokens, usage.output_tokens, usage.total_tokens) == (1, 20, 6, 26)
    assert (usage.input_tokens_details.cached_tokens, usage.output_tokens_details.reasoning_tokens) == (0, 0)


def test_usage_that_differs_from_the_assumed_values_is_kept() -> None:
    counts = {"requests": 2, "input_tokens": 20, "output_tokens": 6, "total_tokens": 30}
    usage = deserialize_usage({**counts, "input_tokens_details": {"cached_tokens": 4}})
    body = response_to_journal(ModelResponse(output=[], usage=usage, response_id=None), 3)
    assert {key: body["usage"][key] for key in counts} == counts
    assert body["usage"]["input_tokens_details"]["cached_tokens"] == 4
    replayed = response_from_journal(body).usage
    assert (replayed.requests, replayed.total_tokens, replayed.input_tokens_details.cached_tokens) == (2, 30, 4)


def test_a_body_in_an_earlier_versions_form_still_replays() -> None:
    # The ordinal and every usage count in the body, null ids, the JS SDK's raw provider response.
    older = {
        "ordinal": 0,
        "input_items": 1,
        "response_id": None,
        "request_id": None,
        "provider_data": {"id": "resp_1"},
        "usage": {"requests": 1, "input_tokens": 20, "output_tokens": 6, "total_tokens": 27, "input_tokens_details": {"cached_tokens": 0}},
        "output": [CALL],
    }
    replayed = response_from_journal(older)
    assert replayed.response_id is None
    assert (replayed.usage.requests, replayed.usage.total_tokens) == (1, 27)
    assert [item.model_dump(mode="json", exclude_unset=True) for item in replayed.output] == [CALL]


def _calls_named(*names: str) -> ModelResponse:
    calls = [ResponseFunctionToolCall(**{**CALL, "call_id": f"call_{n}", "name": name}) for n, name in enumerate(names)]  # type: ignore[arg-type]
    return ModelResponse(output=list(calls), usage=Usage(), response_id=None)


def test_a_handoff_call_in_the_other_sdks_spelling_takes_this_sdks_name() -> None:
    billing = handoff(Agent(name="Billing Desk"))

    @function_tool
    def record_step() -> str:
        """A function tool the request offers."""
        return ""

    replayed = with_own_tool_names(_calls_named("transfer_to_Billing_Desk", "record_step"), [record_step], [billing])
    # Only a name the request does not offer is renamed.
    assert [call.name for call in replayed.output] == ["transfer_to_billing_desk", "record_step"]  # type: ignore[union-attr]


def test_a_name_that_folds_like_two_offered_names_is_left_as_it_is() -> None:
    handoffs = [handoff(Agent(name="Billing Desk")), handoff(Agent(name="billing-desk"), tool_name_override="transfer_to_billing__desk")]
    replayed = with_own_tool_names(_calls_named("transfer_to_Billing_Desk"), [], handoffs)
    assert [call.name for call in replayed.output] == ["transfer_to_Billing_Desk"]  # type: ignore[union-attr]
