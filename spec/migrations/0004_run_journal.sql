-- Durable runs (spec/run-journal): a run started with the durable option
-- appends one journal row per model response, tool start and tool result as
-- it happens, so a run killed at any point is resumed by replaying the
-- journal instead of repeating model calls and tool side effects.

-- One row per durable run: what the run is and where it stands. The only
-- table of the feature whose rows are updated (status), so that runs can be
-- listed by status without reading journals.
CREATE TABLE timestep_durable_runs (
  run_id     text        PRIMARY KEY,
  session_id text,
  -- Name of the agent the run started with; a resume must pass the same one.
  agent      text        NOT NULL,
  -- running: started or resumed, not ended (also what a crashed run looks like);
  -- interrupted: waiting for approvals; finished: final output produced;
  -- failed: the last attempt raised (resuming retries it).
  status     text        NOT NULL CHECK (status IN ('running', 'interrupted', 'finished', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX timestep_durable_runs_status_idx ON timestep_durable_runs (status, updated_at);

-- The journal: append-only, ordered by seq within a run. A writer appends
-- seq = last + 1, so two processes driving one run collide on the primary key
-- instead of forking its history.
CREATE TABLE timestep_run_journal (
  run_id     text        NOT NULL REFERENCES timestep_durable_runs (run_id) ON DELETE CASCADE,
  seq        integer     NOT NULL CHECK (seq >= 1),
  -- A run is one or more segments: segment 0 starts from the run's input,
  -- each later one from a RunState carrying approval decisions.
  segment    integer     NOT NULL CHECK (segment >= 0),
  kind       text        NOT NULL CHECK (kind IN (
               'segment_started', 'model_response', 'tool_started',
               'tool_result', 'tool_in_doubt', 'segment_ended')),
  -- model_response: the response's ordinal in the run ('0', '1', ...);
  -- tool_*: '<ordinal of the response that asked for it>:<call_id>'; else NULL.
  key        text,
  -- The entry itself, in snake_case JSON; model output in the Responses API
  -- item format so every language replays it.
  body       jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);

-- A model response or tool result is journaled at most once per run.
CREATE UNIQUE INDEX timestep_run_journal_once_idx ON timestep_run_journal (run_id, kind, key)
  WHERE kind IN ('model_response', 'tool_result');
