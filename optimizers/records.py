"""Studies and trials in the run store (tables `studies`, `trials`, `tune_proposals`; see docs/tune.md).

JSON shapes written here:
- studies.objective_json: {"metric", "direction", "secondary": {"metric", "direction"} | null,
  "constraints": [{"metric", "min", "max"}]}
- studies.space_json: {path: {"kind": choice|prompt|int|float, "values" | "low","high","step","log","points",
  "model"}}
- studies.settings_json: {"seed", "graph_file", "overrides", "order", "halving", "llm", "budgets", "stop_reason"}
- trials.config_json: {path: value} (flat, the dotted paths of the space); trials.metrics_json:
  {node or node.port: {metric: value}} as the run produced them.
"""

from __future__ import annotations

from typing import Any

from pipec.compiler.store import Store
from pipec.compiler.store.records import ProposalRecord, StudyRecord, TrialRecord
from pipec.compiler.store.runs import to_json
from pipec.compiler.store.studies import INTERRUPTED

__all__ = ["INTERRUPTED", "StudyRecords", "to_json"]


class StudyRecords:
    """A study's rows through the store's typed methods (compiler/store/studies.py holds the queries)."""

    def __init__(self, store: Store):
        self.store = store

    def find(self, name: str) -> StudyRecord | None:
        return self.store.find_study(name)

    def create(self, name: str, graph_name: str, graph_file: str, strategy: str, objective: dict, space: dict,
               settings: dict) -> str:
        return self.store.create_study(name, graph_name, graph_file, strategy, objective, space, settings)

    def set_status(self, study_id: str, status: str, settings: dict | None = None) -> None:
        self.store.set_study_status(study_id, status, settings)

    def trials(self, study_id: str) -> list[TrialRecord]:
        return self.store.trials(study_id)

    def reap(self, study_id: str) -> int:
        """Trials left 'running' by a process that was killed: marked failed with error 'interrupted ...'
        (an interrupted config is proposed again, unlike a config that failed on its own)."""
        return self.store.reap_trials(study_id)

    def start_trial(self, study_id: str, number: int, config: dict, config_hash: str, budget: float | None,
                    run_id: str, note: str) -> None:
        self.store.start_trial(study_id, number, config, config_hash, budget, run_id, note)

    def finish_trial(self, study_id: str, number: int, state: str, value: float | None = None,
                     metrics: dict | None = None, cost_usd: float | None = None, llm_calls: int | None = None,
                     cache_hits: int | None = None, duration_s: float | None = None,
                     error: str | None = None) -> None:
        self.store.finish_trial(study_id, number, state, value, metrics, cost_usd, llm_calls, cache_hits,
                                duration_s, error)

    def add_proposal(self, study_id: str, outcome: str, reason: str, reply: str, config: dict | None,
                     trial_number: int | None) -> None:
        self.store.add_proposal(study_id, outcome, reason, reply, config, trial_number)

    def proposals(self, study_id: str) -> list[ProposalRecord]:
        return self.store.proposals(study_id)


# --- issue 12 reads (through the store's typed methods; no SQL here) ---------------------------------------------

ALL_ITEMS = 10_000_000


def node_items(store: Store, run_id: str, node: str) -> list[dict[str, Any]] | None:
    """The per-item rows node `node` recorded in run `run_id` (also when it came from the cache), or None
    when the run has no such node."""
    cache_key = store.node_cache_key(run_id, node)
    return store.items(cache_key, limit=ALL_ITEMS) if cache_key else None


def list_studies(store: Store) -> list[dict[str, Any]]:
    """Every study, newest first: the study row with its trial counts (trials, complete, failed) and best values."""
    out = []
    for summary in store.list_studies():
        row = store.find_study(summary["name"])
        out.append({**(row.to_dict() if row is not None else {}), **summary.to_dict()})
    return out


def load_json(text: str | None) -> Any:
    """A stored JSON column as a value; None when empty or not JSON."""
    import json

    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
