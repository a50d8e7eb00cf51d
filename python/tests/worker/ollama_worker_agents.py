"""The agents module ``python -m timestep.worker`` runs in test_worker_models.py.

One agent on an ``ollama/`` model, named WORKER_AGENT_NAME (its own graph
fingerprint, so no other test's worker claims its runs), and no ``run_config``.
"""

from __future__ import annotations

import os

from agents import Agent

agents = [Agent(name=os.environ["WORKER_AGENT_NAME"], instructions="Repeat the user.", model="ollama/llama3")]
