"""Parallel studies: up to N trials at once on a backend (worker processes, or a Ray cluster).

The driver (this process) is the only writer of the run store. For every trial it compiles the config, plans
the run (keys, memoized nodes) and ships the graph with the memoized values it needs to a worker; the worker
runs it against a journal (compiler/backends/journal.py) and the driver replays that journal into the store.

Memoization across concurrent trials: a trial whose plan must compute a node key that a trial in flight is
already computing is held back until that key is stored, then planned again, so the key is computed once
and read from the store by the second trial. Local workers send each memoized result as soon as it is
computed (`on_partial`), so a trial that shares only the first nodes with one in flight (the dataset, as
every trial of a study does with trial 0) starts when those are stored, not when the whole trial is done;
on Ray the key is stored with the trial's result.

Pending trials: the strategy is asked with the pending proposals (`ask(history, pending=...)` when it takes
them, else through a history in which pending configs count as seen); `None` while trials are pending means
"wait for a result", `None` with nothing pending means the strategy is exhausted.
"""

from __future__ import annotations

import inspect
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from pipec.compiler.backends import TaskFailed, WorkerLost, make_backend
from pipec.compiler.backends.task import GraphTask, TaskResult, run_graph
from pipec.compiler.errors import CompileError
from pipec.compiler.executor import Executor, new_run_id
from pipec.compiler.store.lineage import LINEAGE_OP
from pipec.compiler.threads import per_worker

from .records import INTERRUPTED
from .strategies import STRATEGIES, History, Proposal, TrialView, config_hash
from .study import FINISHED_REASONS, StudyOutcome, Tuner


@dataclass
class Flight:
    """A trial between its proposal and its result."""

    number: int
    proposal: Proposal
    run_id: str
    graph: Any = None
    claims: set[str] = field(default_factory=set)  # node keys this trial computes and has not stored yet
    streamed: list[tuple[str, str]] = field(default_factory=list)  # (key, op) of results stored before the end
    attempts: int = 0
    task: Future | None = None  # the backend's future; the loop waits on the one that also stored the result


class PendingHistory(History):
    """The history as a strategy without a `pending` argument sees it: pending configs count as seen."""

    def __init__(self, history: History, pending: list[Proposal]):
        super().__init__(history.trials)
        self._pending = {config_hash(p.config, p.budget) for p in pending}

    def seen(self, config: dict[str, Any], budget: float | None = None) -> bool:
        return super().seen(config, budget) or config_hash(config, budget) in self._pending


def ask(strategy: Any, history: History, pending: list[Proposal]) -> Proposal | None:
    if "pending" in inspect.signature(strategy.ask).parameters:
        return strategy.ask(history, pending=pending)
    return strategy.ask(PendingHistory(history, pending) if pending else history)


class ParallelTuner(Tuner):
    def __init__(self, *args: Any, workers: int | None = None, backend: str = "local",
                 ray_address: str | None = None, retries: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.backend_name = backend
        self.ray_address = ray_address
        self.workers = workers
        self.retries = retries
        self.backend: Any = None
        self.executions: dict[str, int] = {}  # node key -> times a worker computed it (this session)
        self._wake: Future = Future()  # set when a partial result was stored: held trials may go now
        self._wake_lock = threading.Lock()

    # --- the loop --------------------------------------------------------------------------------------------
    def run(self) -> StudyOutcome:
        op_modules = tuple(sorted({node.op_cls.__module__ for node in self.graph.nodes.values()}))
        self.backend = make_backend(self.backend_name, self.workers, self.ray_address, op_modules)  # before any row
        try:
            study_id, resumed = self._open_study()
        except BaseException:
            self.backend.close()
            raise
        reaped = self.records.reap(study_id) if resumed else 0
        history, last_number = self._load_history(study_id)
        self.history = history
        baseline = not any(t.number == 0 for t in history.trials)  # trial 0 goes first, as in a serial study
        ctx = self._context(study_id)
        strategy = STRATEGIES[self.strategy_name](self.space, ctx)
        workers = self.backend.workers
        self._replayer = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pipec-replay")
        self.records.set_status(study_id, "running", self._settings_json())
        started = time.monotonic()
        flights: dict[Future, Flight] = {}
        held: list[Flight] = []
        stop: str | None = None
        exhausted, repeats = False, 0
        try:
            while True:
                while stop is None and not exhausted and len(flights) + len(held) < workers:
                    pending = [f.proposal for f in (*flights.values(), *held)]
                    stop = self._stop_before_launch(study_id, history, started, len(pending))
                    if stop == "wait":
                        stop = None
                        break
                    if stop:
                        break
                    if baseline:
                        baseline = False
                        self._launch(study_id, 0, self.baseline_proposal(), held, history, strategy)
                        continue
                    proposal = ask(strategy, history, pending)
                    number = last_number + 1
                    self._record_notes(study_id, ctx, number if proposal else None)
                    if proposal is None:
                        exhausted = not pending
                        break
                    if history.seen(proposal.config, proposal.budget) or any(
                            config_hash(p.config, p.budget) == config_hash(proposal.config, proposal.budget)
                            for p in pending):  # a strategy repeating itself must not loop forever
                        repeats += 1
                        if pending or repeats > 100:
                            exhausted = not pending
                            break
                        continue
                    last_number = number
                    self._launch(study_id, number, proposal, held, history, strategy)
                held = self._dispatch(study_id, held, flights)
                if not flights:  # a held trial always waits on one in flight, so nothing is left
                    break
                timeout = self._remaining(started)
                done, _ = wait([*flights, self._wake], timeout=timeout, return_when=FIRST_COMPLETED)
                done = {f for f in done if f in flights}
                if self._rewake() and not done:
                    continue  # a partial result was stored: plan the held trials again
                if not done:  # the study's --timeout
                    self._cancel_all(study_id, flights, held, "the study's --timeout")
                    flights, held, stop = {}, [], "timeout"
                    break
                for future in done:
                    flight = flights.pop(future)
                    trial, reason = self._finish(study_id, flight, future, flights)
                    if reason and stop is None:
                        stop = reason
                    if trial is not None:
                        history.add(trial)
                        if flight.number != 0:
                            strategy.tell(trial)
                        if self.on_trial:
                            self.on_trial(trial, flight.proposal.note)
                        stop = stop or self.failing_stop(history)
                if stop:  # a budget: let trials in flight finish, launch nothing more
                    exhausted = True
        except KeyboardInterrupt:
            self._cancel_all(study_id, flights, held, "by the user")
            self.records.set_status(study_id, "stopped", self._settings_json("interrupted"))
            self.backend.close()
            self._replayer.shutdown(wait=False, cancel_futures=True)
            raise
        self.backend.close()
        self._replayer.shutdown(wait=True)
        if stop is None:
            stop = "trials" if self.budgets.trials is not None and len(history) >= self.budgets.trials else "exhausted"
        status = "finished" if stop in FINISHED_REASONS else "stopped"
        self.records.set_status(study_id, status, self._settings_json(stop))
        return StudyOutcome(study_id, self.study_name, self.strategy_name, self.spec, self.space, history,
                            stop, status, resumed, reaped, self.study_totals(study_id))

    def _stop_before_launch(self, study_id: str, history: History, started: float, pending: int) -> str | None:
        b = self.budgets
        if b.trials is not None and len(history) + pending >= b.trials:
            return "wait" if pending else "trials"
        return self._budget_stop(study_id, history, started)

    def _remaining(self, started: float) -> float | None:
        if self.budgets.timeout_s is None:
            return None
        return max(0.0, self.budgets.timeout_s - (time.monotonic() - started))

    # --- one trial ---------------------------------------------------------------------------------------------
    def _launch(self, study_id: str, number: int, proposal: Proposal, held: list[Flight], history: History,
                strategy: Any) -> None:
        """Start trial `number`: held until it can be dispatched, or finished at once when it does not compile."""
        started = self._start(study_id, number, proposal)
        if isinstance(started, Flight):
            held.append(started)
            return
        history.add(started)
        if number != 0:
            strategy.tell(started)
        if self.on_trial:
            self.on_trial(started, proposal.note)

    def _start(self, study_id: str, number: int, proposal: Proposal) -> Flight | TrialView:
        flight = Flight(number, proposal, new_run_id())
        self.records.start_trial(study_id, number, proposal.config, config_hash(proposal.config, proposal.budget),
                                 proposal.budget, flight.run_id, proposal.note)
        try:
            flight.graph = self.compile_trial(self.overrides_for(proposal))
        except CompileError as exc:
            error = "the config does not compile: " + "; ".join(d.message for d in exc.diagnostics)
            self.records.finish_trial(study_id, number, "failed", error=error)
            return TrialView(number, proposal.config, proposal.budget, "failed", None, run_id=flight.run_id,
                             error=error, note=proposal.note)
        return flight

    def _dispatch(self, study_id: str, held: list[Flight], flights: dict[Future, Flight]) -> list[Flight]:
        """Send every held trial whose plan computes no key a trial in flight is computing; keep the others."""
        busy = set().union(*(f.claims for f in flights.values())) if flights else set()
        still: list[Flight] = []
        for flight in held:
            plan = self._plan(study_id, flight)
            if plan["claims"] & busy:
                still.append(flight)
                continue
            busy |= plan["claims"]
            self._submit(study_id, flight, plan, flights)
        return still

    def _plan(self, study_id: str, flight: Flight) -> dict[str, Any]:
        graph = flight.graph
        settings = self.trial_settings(study_id)
        planner = Executor(graph, self.store, use_cache=self.use_cache, run_id=flight.run_id, settings=settings)
        keys, to_run, needed = planner.plan()
        return {"settings": settings, "needed": [keys[n] for n in needed],
                "claims": {keys[n] for n in to_run if graph.nodes[n].cache} if self.use_cache else set(),
                "cached": {keys[n] for n in graph.nodes if n not in to_run},
                "num_cpus": max((getattr(graph.nodes[n].op_cls, "num_cpus", 1) for n in to_run), default=1)}

    def _submit(self, study_id: str, flight: Flight, plan: dict[str, Any], flights: dict[Future, Flight]) -> None:
        if self.backend_name == "local":  # same machine: the worker reads the values it needs from the store
            values: dict[str, Any] = {}
            self.store.flush()
        else:
            values = {key: self.store.load_result(key) for key in plan["needed"]}
        task = GraphTask(flight.graph, plan["cached"], values, flight.run_id, plan["settings"], study_id,
                         flight.number, self.use_cache, str(self.store.root.resolve()), dict(self.store.secrets),
                         threads=self._threads(plan["num_cpus"]), stream=True)
        flight.claims = plan["claims"]
        flight.task = self.backend.submit(run_graph, task, plan["num_cpus"],
                                          on_partial=lambda entry: self._store_partial(flight, entry))
        flights[self._replayer.submit(self._collect, flight.task)] = flight

    def _threads(self, num_cpus: float) -> int:
        """Intra-op threads of a trial: the machine's cores shared by the local workers, or the CPUs a Ray
        task reserves (compiler/threads.py)."""
        if self.backend_name == "local":
            return per_worker(self.backend.workers)
        return max(1, int(num_cpus))

    def _store_partial(self, flight: Flight, entry: tuple[str, tuple, dict]) -> None:
        """A memoized result a worker sent before its trial ended (on a backend thread): stored now, its key
        no longer claimed, and the loop woken to plan the held trials again."""
        name, args, kwargs = entry
        getattr(self.store, name)(*args, **kwargs)
        self.store.flush()
        flight.streamed.append((args[0], args[1]))
        flight.claims = flight.claims - {args[0]}
        with self._wake_lock:
            if not self._wake.done():
                self._wake.set_result(None)

    def _rewake(self) -> bool:
        """Whether a partial result was stored since the last call (then wait for the next one)."""
        with self._wake_lock:
            woken = self._wake.done()
            if woken:
                self._wake = Future()
        return woken

    def _collect(self, task: Future) -> TaskResult:
        """Wait for a trial's task and replay its journal into the store (on a driver thread, so that the loop
        goes on dispatching meanwhile; the trial's keys count as in flight until their results are stored)."""
        from pipec.compiler.store.journal import replay

        outcome: TaskResult = task.result()
        replay(self.store, outcome.journal)
        return outcome

    def _finish(self, study_id: str, flight: Flight, future: Future, flights: dict[Future, Flight]
                ) -> tuple[TrialView | None, str | None]:
        proposal = flight.proposal
        view = TrialView(flight.number, proposal.config, proposal.budget, "failed", None, run_id=flight.run_id)
        view.note = proposal.note
        try:
            outcome: TaskResult = future.result()
        except WorkerLost as exc:
            if flight.attempts < self.retries:
                flight.attempts += 1
                self._submit(study_id, flight, self._plan(study_id, flight), flights)
                return None, None
            view.error = f"the worker running this trial was lost: {exc}"
            self.records.finish_trial(study_id, flight.number, "failed", error=view.error)
            return view, None
        except TaskFailed as exc:
            view.error = f"the trial's task failed: {str(exc).splitlines()[0]}"
            self.records.finish_trial(study_id, flight.number, "failed", error=view.error)
            return view, None
        self._count_executions(flight, outcome)
        return self.record_result(study_id, flight.number, view, outcome.run)

    def _count_executions(self, flight: Flight, outcome: TaskResult) -> None:
        """The node keys the trial computed (its memoized results; lineage records are not node results)."""
        saved = flight.streamed + [(args[0], args[1]) for name, args, _ in outcome.journal
                                   if name in ("save_result", "save_encoded")]
        for key, op in saved:
            if op != LINEAGE_OP:
                self.executions[key] = self.executions.get(key, 0) + 1

    def _cancel_all(self, study_id: str, flights: dict[Future, Flight], held: list[Flight], why: str) -> None:
        for flight in flights.values():
            if flight.task is not None:
                self.backend.cancel(flight.task)
            self.records.finish_trial(study_id, flight.number, "failed", error=f"{INTERRUPTED}: {why}")
        for flight in held:
            self.records.finish_trial(study_id, flight.number, "failed", error=f"{INTERRUPTED}: {why}")
