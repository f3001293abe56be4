"""A study as the store holds it, read back without its graph (for `pipe studies`, `pipe study show|export`):
the tune spec from the study row, trials as TrialViews, and the status a reader should see (`interrupted` when
the process that ran it died)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipec.compiler.errors import UsageError

from .objective import evaluate
from .records import StudyRecords, list_studies, load_json
from .strategies import History, TrialView
from .tune_spec import TuneSpec


@dataclass
class StoredSpace:
    params: dict[str, dict[str, Any]]  # path -> its space_json entry


@dataclass
class StoredStudy:
    row: dict[str, Any]
    spec: TuneSpec
    space: StoredSpace
    history: History
    settings: dict[str, Any] = field(default_factory=dict)

    # the attributes the report functions read from a StudyOutcome
    @property
    def name(self) -> str:
        return self.row["name"]

    @property
    def study_id(self) -> str:
        return self.row["id"]

    @property
    def strategy(self) -> str:
        return self.row["strategy"]

    @property
    def status(self) -> str:
        return display_status(self.row)

    @property
    def stop_reason(self) -> str:
        return self.settings.get("stop_reason") or ""

    @property
    def validation(self) -> dict[str, Any] | None:
        return self.settings.get("validation")

    @property
    def totals(self) -> dict[str, float]:
        return {k: sum(t.totals.get(k) or 0.0 for t in self.history.trials) for k in ("cost_usd", "llm_calls")}


def display_status(row: dict[str, Any]) -> str:
    """The stored status, except `interrupted` for a study left `running` by a process that no longer exists."""
    from pipec.compiler.store import process_alive

    if row["status"] != "running":
        return row["status"]
    pid = (load_json(row.get("settings_json")) or {}).get("pid")
    return "running" if pid and process_alive(pid) else "interrupted"


def spec_of(row: dict[str, Any]) -> TuneSpec:
    objective = load_json(row["objective_json"]) or {}
    settings = load_json(row["settings_json"]) or {}
    data: dict[str, Any] = {"objective": {"metric": objective.get("metric", ""),
                                          "direction": objective.get("direction", "maximize")},
                            "secondary": objective.get("secondary"), "constraints": objective.get("constraints") or [],
                            "space": load_json(row["space_json"]) or {}, "halving": settings.get("halving")}
    if objective.get("objectives"):
        data["objectives"], data["objective"] = objective["objectives"], None
        data["pick"] = objective.get("pick")
    return TuneSpec.model_validate(data)


def find(store: Any, name: str) -> dict[str, Any]:
    """A study row by name, or `last` (the newest); a usage error naming the studies otherwise."""
    rows = list_studies(store)
    if not rows:
        raise UsageError("the store has no study (run pipe tune first)")
    if name == "last":
        return rows[0]
    for r in rows:
        if r["name"] == name:
            return r
    from pipec.compiler.errors import did_you_mean

    names = [r["name"] for r in rows]
    raise UsageError(f"no study '{name}' in the store; " + (did_you_mean(name, names) or
                                                            f"studies: {', '.join(names[:10])}"))


def load_study(store: Any, name: str) -> StoredStudy:
    row = find(store, name)
    spec = spec_of(row)
    trials = []
    for r in StudyRecords(store).trials(row["id"]):
        metrics = load_json(r["metrics_json"]) or {}
        totals = {k: r.get(k) or 0.0 for k in ("cost_usd", "duration_s", "llm_calls", "cache_hits")}
        score = None
        if r["state"] == "complete" and r["value"] is not None:
            try:
                _, score, _ = evaluate(spec, metrics, totals)
            except KeyError:
                score = None
        trials.append(TrialView(r["number"], load_json(r["config_json"]) or {}, r["budget"], r["state"], score,
                                r["value"], r["run_id"], metrics, r["error"], totals, r.get("note") or ""))
    return StoredStudy(dict(row), spec, StoredSpace(load_json(row["space_json"]) or {}), History(trials),
                       load_json(row["settings_json"]) or {})


