"""The networkx-free dependency graph agrees with networkx (order, cycles, reachability), and compiling or
validating a graph does not import networkx."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st
from pipec.compiler.dag import Dag

REPO = Path(__file__).resolve().parents[2]
NAMES = [f"n{i}" for i in range(8)]


def build(edges: list[tuple[int, int]], n: int) -> tuple[Dag, nx.DiGraph]:
    names = NAMES[:n]
    dag, ref = Dag(names), nx.DiGraph()
    ref.add_nodes_from(names)
    for a, b in edges:
        if a < n and b < n and a != b:
            dag.add_edge(names[a], names[b])
            ref.add_edge(names[a], names[b])
    return dag, ref


edge_lists = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=16)


@settings(max_examples=200, deadline=None)
@given(edge_lists, st.integers(1, 8))
def test_cycles_order_and_reachability_match_networkx(edges, n):
    dag, ref = build(edges, n)
    try:
        cycle = nx.find_cycle(ref)
        expected = [e[0] for e in cycle] + [cycle[0][0]]
    except nx.NetworkXNoCycle:
        expected = None
    assert dag.find_cycle() == expected
    assert dag.number_of_edges() == ref.number_of_edges()
    if expected is None:
        assert dag.topological_order() == list(nx.topological_sort(ref))
        for node in ref:
            assert dag.descendants(node) == nx.descendants(ref, node)
            assert dag.ancestors(node) == nx.ancestors(ref, node)
    assert nx.utils.graphs_equal(dag.to_networkx(), ref)


def test_validate_imports_neither_networkx_nor_numpy_nor_the_optimizers(tmp_path):
    code = ("import sys; from pipec.compiler.cli import main; rc = main(['validate', sys.argv[1]]); "
            "bad = [m for m in ('networkx', 'numpy', 'litellm', 'pipec.optimizers') if m in sys.modules]; "
            "print(bad); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(REPO / "examples" / "quickstart.yaml")],
                          capture_output=True, text=True, env={**os.environ, "PIPEC_CACHE_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
