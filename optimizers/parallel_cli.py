"""`pipe tune` flags for parallel studies (--workers, --backend, --ray-address, --retries); imports nothing heavy
so that `pipe tune --help` stays quick. See docs/parallel.md."""

from __future__ import annotations

from typing import Any

from pipec.compiler.commands.ranges import int_range


def add_parallel_options(parser: Any) -> None:
    group = parser.add_argument_group("parallel trials (docs/parallel.md)")
    group.add_argument("--workers", type=int_range(1, 4096), metavar="N",
                       help="run up to N trials at once (default 1: one after another in this process; with "
                            "--backend: the machine's cores, or the Ray cluster's CPUs)")
    group.add_argument("--backend", choices=["local", "ray"],
                       help="where parallel trials run: local worker processes, or Ray tasks (default: "
                            "settings.backend of the YAML, else local)")
    group.add_argument("--ray-address", metavar="ADDR",
                       help="join this Ray cluster (auto, ray://host:10001, host:6379); implies --backend ray")
    group.add_argument("--retries", type=int_range(0, 10), default=0, metavar="N",
                       help="run a trial again up to N times when its worker process or Ray node dies (default 0)")


def parallel_tuner(args: Any, graph: Any) -> tuple[type, dict[str, Any]]:
    """The tuner class for these flags and its extra keyword arguments (none for a serial study)."""
    backend = args.backend or ("ray" if args.ray_address else None) or graph.spec.settings.backend
    if backend is None and (args.workers or 1) == 1:
        from .study import Tuner

        return Tuner, {}
    from .parallel import ParallelTuner

    return ParallelTuner, {"workers": args.workers, "backend": backend or "local", "ray_address": args.ray_address,
                           "retries": args.retries}
