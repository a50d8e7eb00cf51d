-- Workers (spec/run-journal, "Leases and workers"): a durable run is driven
-- by whichever process holds its lease. A process that dies stops renewing
-- the lease, so once it expires a worker claims the run (FOR UPDATE SKIP
-- LOCKED, so workers never wait on each other) and resumes it from the journal.

-- queued: submitted, no process has started it yet (a worker will).
ALTER TABLE timestep_durable_runs DROP CONSTRAINT timestep_durable_runs_status_check;
ALTER TABLE timestep_durable_runs ADD CONSTRAINT timestep_durable_runs_status_check
  CHECK (status IN ('queued', 'running', 'interrupted', 'finished', 'failed'));

ALTER TABLE timestep_durable_runs
  -- Fingerprint of the agent graph the run started with (spec/run-journal,
  -- "Graph fingerprint"); a worker claims only runs whose graph it has. NULL
  -- for runs started before this migration: no worker claims those.
  ADD COLUMN graph text,
  -- Who drives the run ('<host>/<pid>/<random>') and until when; both NULL
  -- when nobody does (queued, interrupted, finished, failed).
  ADD COLUMN lease_owner text,
  ADD COLUMN lease_expires_at timestamptz,
  -- How many times a process took the run (claims and direct resumes).
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  -- While interrupted: the calls waiting for a decision, in the shape of
  -- timestep_run_states.pending_approvals ([{agent, tool, call_id, arguments}]).
  ADD COLUMN pending_approvals jsonb NOT NULL DEFAULT '[]'::jsonb;

-- What a claiming worker scans: runs no live process holds.
CREATE INDEX timestep_durable_runs_claim_idx ON timestep_durable_runs (updated_at)
  WHERE status IN ('queued', 'running', 'interrupted', 'failed');
