"""LLM-proposed search (OPRO/COPRO-style): a language model, called through the gateway, reads the space and the
history of configs and scores, and proposes the next config; for prompt parameters it may write a new prompt
text from the best prompt so far and examples it failed on.

Every proposal is checked against the space: unknown parameters are dropped, missing ones taken from the best
config, numbers outside a range clipped (repaired); a choice that is not in the list, an invalid prompt
template or a config already scored is rejected. Repairs and rejections are recorded with the study
(`tune_proposals` table). After `MAX_ATTEMPTS` rejected replies in a row the next unseen random config is used.
"""

from __future__ import annotations

import json
from typing import Any

from .base import History, Proposal, Strategy, TrialView, is_pending
from .random_search import random_configs

MAX_ATTEMPTS = 3
PROMPT_SHOWN = 1500


class LLMSearch(Strategy):
    name = "llm"
    conformance = {"llm": {"model": "fake/proposer"}}

    def __init__(self, space, ctx):
        super().__init__(space, ctx)
        if ctx.proposer is None and ctx.spec.llm is not None and ctx.complete is not None:
            ctx.proposer = proposer_from(ctx)
        if ctx.proposer is None:
            from pipec.compiler.errors import UsageError

            raise UsageError("strategy 'llm' needs 'llm: {model: ...}' in the tune section (or --llm-model)")

    def ask(self, history: History, pending=()) -> Proposal | None:
        base = self._base(history)
        if not history.seen(base) and not is_pending(pending, base):
            return Proposal(base, note="llm: start from the graph's values")
        feedback = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            text = self.ctx.proposer(self.prompt(history, feedback))
            config, problems, repairs = self.parse(text, base, history)
            if config is not None and is_pending(pending, config):
                config, problems = None, ["duplicate of a trial in progress"]
            if config is not None:
                self._record("repaired" if repairs else "accepted", text, "; ".join(repairs), config)
                return Proposal(config, note="llm" + (f" (repaired: {'; '.join(repairs)})" if repairs else ""))
            reason = "; ".join(problems)
            self._record("rejected", text, reason, None)
            feedback = (f"Your previous proposal (attempt {attempt} of {MAX_ATTEMPTS}) was rejected: {reason}. "
                        "Propose a different, valid config.")  # the attempt number: a new prompt, not a cache hit
        for config in random_configs(self.space, self.ctx.seed):
            if not history.seen(config) and not is_pending(pending, config):
                return Proposal(config, note=f"llm: {MAX_ATTEMPTS} rejected proposals, random fallback")
        return None

    # --- the prompt ------------------------------------------------------------------------------------------
    def prompt(self, history: History, feedback: str = "") -> str:
        spec = self.ctx.spec
        lines = [
            "You are tuning the hyperparameters of a pipeline.",
            f"Objective: {spec.main.direction} the metric '{spec.main.metric}'. Higher 'score' below is better.",
            "", "Search space (JSON):", json.dumps(self._space_description(), ensure_ascii=False),
            "", "Trials so far, best first (config -> score; null score = failed):",
        ]
        done = sorted(history.trials, key=lambda t: (t.score is None, -(t.score or 0)))
        for t in done[:self.ctx.spec.llm.history if self.ctx.spec.llm else 30]:
            lines.append(f"- {json.dumps(_short(t.config), ensure_ascii=False)} -> "
                         f"{'null' if t.score is None else round(t.score, 6)}")
        best = history.best()
        prompts = [p for p in self.space if p.kind == "prompt"]
        if prompts and best is not None:
            lines += ["", "Prompt parameters: you may write a NEW prompt text (a Jinja2 template using the same "
                      "variables) that fixes the failures of the best prompt."]
            for p in prompts:
                lines.append(f"Best value of '{p.path}':\n{str(best.config.get(p.path))[:PROMPT_SHOWN]}")
            failures = self.ctx.failures(best) if self.ctx.failures else []
            if failures:
                lines.append("Examples the best config got wrong:")
                lines += [f"- {json.dumps(f, ensure_ascii=False)[:400]}" for f in failures]
        lines += ["", "Propose ONE new config that is not in the list above. Reply with only a JSON object "
                  "mapping every parameter path to its value."]
        if feedback:
            lines += ["", feedback]
        return "\n".join(lines)

    def _space_description(self) -> dict[str, Any]:
        out = {}
        for p in self.space:
            if p.kind == "choice":
                out[p.path] = {"choices": p.values}
            elif p.kind == "prompt":
                out[p.path] = {"prompt": "a template text", "candidates": len(p.values)}
            else:
                out[p.path] = {"type": p.kind, "low": p.low, "high": p.high, "step": p.step, "log": p.log}
        return out

    # --- parsing and checking a reply --------------------------------------------------------------------------
    def parse(self, text: str, base: dict[str, Any], history: History):
        """(config or None, problems, repairs)."""
        from json_repair import repair_json

        try:
            data = repair_json(text or "", return_objects=True)
        except Exception:  # json_repair is lenient; anything it cannot read is a rejection
            data = None
        if isinstance(data, dict) and isinstance(data.get("config"), dict):
            data = data["config"]
        if not isinstance(data, dict) or not data:
            return None, ["the reply is not a JSON object of parameter values"], []
        config, problems, repairs = dict(base), [], []
        for key, value in data.items():
            param = self.space.params.get(key)
            if param is None:
                repairs.append(f"dropped unknown parameter '{key}'")
                continue
            try:
                fixed, note = param.repair(value)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if note:
                repairs.append(note)
            if param.kind == "prompt" and self.ctx.check_value:
                errors = self.ctx.check_value(key, fixed)
                if errors:
                    problems.append(f"{key}: invalid prompt: {errors[0]}")
                    continue
            config[key] = fixed
        missing = [k for k in self.space.params if k not in data]
        if missing and len(missing) < len(self.space.params):
            repairs.append("kept best values of " + ", ".join(missing))
        if problems:
            return None, problems, repairs
        prior = history.get(config)
        if prior is not None:
            return None, [f"duplicate of trial {prior.number}"], repairs
        return config, [], repairs

    def _base(self, history: History) -> dict[str, Any]:
        best = history.best()
        return dict(best.config) if best else dict(self.ctx.defaults)

    def _record(self, outcome: str, text: str, reason: str, config: dict | None) -> None:
        self.ctx.notes.append({"outcome": outcome, "reply": text, "reason": reason, "config": config})

    def tell(self, trial: TrialView) -> None:
        return None


def proposer_from(ctx) -> Any:
    """prompt -> text through the context's gateway call, with the tune section's proposer model settings."""
    llm = ctx.spec.llm
    counter = iter(range(1, 1 << 30))

    def propose(prompt: str) -> str:
        return ctx.complete(llm.model, prompt, item=f"proposal-{next(counter)}", temperature=llm.temperature,
                            max_tokens=llm.max_tokens)

    return propose


def _short(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[:200] + "..." if isinstance(v, str) and len(v) > 200 else v) for k, v in config.items()}
