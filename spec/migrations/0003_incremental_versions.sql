-- Incremental storage (spec/state-delta): a version may store only what
-- changed since the previous version of the same run, so a run checkpointed
-- every turn grows the store linearly instead of with the square of its length.
--   full:  native_state and portable_state hold the whole state, as before.
--   delta: native_state (text) and portable_state (jsonb, or NULL) hold a state
--          delta against version - 1 of the same run, written by the same SDK;
--          native_sha256 is still the checksum of the whole native text, so a
--          damaged link anywhere in the chain is reported on load.
-- Existing rows are full. Readers rebuild a delta row from the nearest full
-- version at or below it.
ALTER TABLE timestep_run_states
  ADD COLUMN state_encoding text NOT NULL DEFAULT 'full' CHECK (state_encoding IN ('full', 'delta'));
