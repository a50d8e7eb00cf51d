-- Timestep schema, version 1. Shared by the TypeScript and Python packages:
-- both apply the files in this folder in name order and record each in
-- timestep_migrations, so either language may create or upgrade a store.

-- One row per saved version of a run. Rows are never updated: a save appends
-- the next version, so any past version can be loaded again.
CREATE TABLE timestep_run_states (
  run_id             text        NOT NULL,
  version            integer     NOT NULL CHECK (version >= 1),
  session_id         text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- interrupted: waiting for approvals; checkpoint: mid-run; final: finished.
  status             text        NOT NULL CHECK (status IN ('interrupted', 'checkpoint', 'final')),
  current_agent      text,
  -- Which SDK wrote native_state, e.g. '@openai/agents' 0.20.0 schema '1.22'
  -- or 'openai-agents' 0.24.0 schema '1.17'.
  sdk_name           text        NOT NULL,
  sdk_version        text        NOT NULL,
  sdk_schema_version text        NOT NULL,
  -- The SDK's own serialisation, byte for byte, so the same SDK reloads it losslessly.
  native_state       text        NOT NULL,
  -- SHA-256 of native_state, checked on load so a damaged row is reported, never resumed.
  native_sha256      text        NOT NULL,
  -- [{ "agent": ..., "tool": ..., "call_id": ..., "arguments": ... }], queryable with SQL.
  pending_approvals  jsonb       NOT NULL DEFAULT '[]'::jsonb,
  PRIMARY KEY (run_id, version)
);

CREATE INDEX timestep_run_states_session_idx ON timestep_run_states (session_id, created_at);
CREATE INDEX timestep_run_states_status_idx ON timestep_run_states (status);

-- Conversation history of durable sessions, one row per item, in the OpenAI
-- Responses API input item format (snake_case) so every language reads it as is.
CREATE TABLE timestep_session_items (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id text        NOT NULL,
  item       jsonb       NOT NULL,
  -- The writing SDK's own form of the item where it differs from the Responses
  -- format (e.g. @openai/agents' camelCase items), so that SDK reads it back
  -- exactly; other languages read item.
  native_sdk  text,
  native_item jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX timestep_session_items_session_idx ON timestep_session_items (session_id, id);
