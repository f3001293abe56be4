"""The start-up fast path: `pipe validate` and an unchanged `pipe run` answered without compiling.

Compiling imports pydantic, yaml, networkx and the ops' modules: most of what a command costs when its answer
is already known. When the same command line ran before (same arguments, folder, environment, interpreter) and
none of the files it read, the folders it listed, the modules it imported or the installed distributions
changed since (deps.py), the command's outcome is the same:
- `pipe validate` prints what it printed then (only successes are kept);
- `pipe run` runs the same plan: the same node keys, looked up in the store; when every one is memoized, the
  run is recorded and reported as the executor records a fully cached run (replay.py), and when any is missing
  or fails its check, the command runs the slow way as if there were no plan.
fastpath.py decides and records; plans.py keeps the entries; PIPEC_NO_PLAN_CACHE=1 turns the fast path off.
"""

