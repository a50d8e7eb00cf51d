-- Approval decisions made outside the process that runs the agent (`timestep
-- runs approve|reject`). A decision is stored, not written into a new run
-- state version: the run's owner may be saving the run at the same moment, and
-- a second writer of versions would make one of them fail with a conflict.
-- Instead RunStateStore.load (both languages) applies every stored decision
-- for a call that the loaded state is still waiting on, with the SDK's own
-- approve / reject, so the decision takes effect when the run next resumes.

-- One row per decided tool call: the primary key makes a decision single-use
-- (a second decision on the same call is refused, never overwrites the first).
CREATE TABLE timestep_approval_decisions (
  run_id     text        NOT NULL,
  call_id    text        NOT NULL,
  decision   text        NOT NULL CHECK (decision IN ('approve', 'reject')),
  -- Why; for a rejection, the message the model receives instead of the tool's output.
  reason     text        NOT NULL,
  -- Who decided (the OS user unless named) and when.
  decided_by text        NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now(),
  -- The tool the call was waiting on, as listed in pending_approvals (for audit).
  tool       text        NOT NULL,
  PRIMARY KEY (run_id, call_id)
);
