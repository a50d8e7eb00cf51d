"""The agents module ``python -m timestep.worker`` runs in the worker tests.

The Durable Stepper under the name WORKER_AGENT_NAME (so each test's runs
have their own graph fingerprint and no other test's worker claims them),
recording its steps in WORKER_EFFECTS_FILE.
"""

from __future__ import annotations

import os
from pathlib import Path

from durable.step_agent import step_agent

agents = [step_agent(Path(os.environ["WORKER_EFFECTS_FILE"])).clone(name=os.environ["WORKER_AGENT_NAME"])]
