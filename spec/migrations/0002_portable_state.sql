-- The language-neutral form of each saved version (spec/portable-run-state),
-- written beside native_state so the other language can resume the run.
-- NULL when the state holds something the portable format cannot carry
-- (e.g. hosted MCP approvals); such a version resumes only in its own SDK.
ALTER TABLE timestep_run_states ADD COLUMN portable_state jsonb;
