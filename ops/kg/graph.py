"""The knowledge graph that flows on `KG` ports: entities and relations as integer ids, triples as numpy arrays,
and per directed relation a CSR adjacency (forward `r` and inverse `r^-1`) for fast set-at-a-time traversal.

A networkx `MultiDiGraph` with relation labels is built on demand (`kg.nx`); it is not pickled (memoized
results stay compact) and is rebuilt lazily after unpickling.

Directed relations ("actions") are numbered `0..2R-1`: `a < R` follows relation `a` from head to tail,
`a >= R` follows relation `a - R` backwards (tail to head), written `name^-1`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pipec.compiler.errors import PipeError

INVERSE = "^-1"


class KGError(PipeError):
    """A knowledge-graph file or query is malformed."""


@dataclass
class Adjacency:
    """CSR rows: neighbours of entity `e` via this directed relation are `indices[indptr[e]:indptr[e+1]]`."""

    indptr: np.ndarray
    indices: np.ndarray

    @classmethod
    def build(cls, src: np.ndarray, dst: np.ndarray, n: int) -> Adjacency:
        order = np.lexsort((dst, src))
        counts = np.bincount(src, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, dst[order].astype(np.int32))

    def step(self, frontier: np.ndarray) -> np.ndarray:
        """Unique neighbours of a set of entity ids (sorted int32)."""
        if frontier.size == 1:
            e = int(frontier[0])
            return np.unique(self.indices[self.indptr[e]:self.indptr[e + 1]])
        starts, ends = self.indptr[frontier], self.indptr[frontier + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int32)
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        return np.unique(self.indices[offsets])

    def neighbours(self, entity: int) -> np.ndarray:
        return self.indices[self.indptr[entity]:self.indptr[entity + 1]]


@dataclass
class KnowledgeGraph:
    entities: list[str]
    relations: list[str]
    heads: np.ndarray  # int32, one per triple
    rels: np.ndarray
    tails: np.ndarray
    source: str = ""
    chunk_ids: list[list[str]] | None = None  # per triple: provenance (chunks it was extracted from), if any
    aliases: dict[str, list[str]] = field(default_factory=dict)  # entity -> other names
    types: dict[str, str] = field(default_factory=dict)  # entity -> type, when known (kg.build)
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _lower: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _adj: list[Adjacency] = field(default_factory=list, repr=False)
    _masks: np.ndarray | None = field(default=None, repr=False)
    _nx: object = field(default=None, repr=False)

    def __post_init__(self):
        self._build_indexes()

    # --- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_triples(cls, triples: Iterable[tuple[str, str, str]], source: str = "",
                     chunk_ids: list[list[str]] | None = None,
                     aliases: dict[str, list[str]] | None = None) -> KnowledgeGraph:
        ent: dict[str, int] = {}
        rel: dict[str, int] = {}
        h, r, t = [], [], []
        for head, relation, tail in triples:
            h.append(ent.setdefault(head, len(ent)))
            r.append(rel.setdefault(relation, len(rel)))
            t.append(ent.setdefault(tail, len(ent)))
        return cls(list(ent), list(rel), np.array(h, dtype=np.int32), np.array(r, dtype=np.int32),
                   np.array(t, dtype=np.int32), source, chunk_ids, dict(aliases or {}))

    def _build_indexes(self) -> None:
        n, n_rel = len(self.entities), len(self.relations)
        self._index = {e: i for i, e in enumerate(self.entities)}
        self._lower = {}
        for i, e in enumerate(self.entities):
            self._lower.setdefault(e.lower(), []).append(i)
        self._adj = []
        masks = np.zeros(n, dtype=np.int64)
        for direction in (0, 1):
            for r in range(n_rel):
                sel = self.rels == r
                src, dst = (self.heads[sel], self.tails[sel]) if direction == 0 else (self.tails[sel], self.heads[sel])
                self._adj.append(Adjacency.build(src, dst, n))
                masks[np.unique(src)] |= np.int64(1) << (direction * n_rel + r)
        self._masks = masks
        self._nx = None

    def __getstate__(self):
        keep = ("entities", "relations", "heads", "rels", "tails", "source", "chunk_ids", "aliases", "types")
        return {k: self.__dict__[k] for k in keep}

    def __setstate__(self, state):
        state.setdefault("types", {})
        self.__dict__.update(state)
        self._build_indexes()

    # --- vocabulary ---------------------------------------------------------------------------------------
    @property
    def n_entities(self) -> int:
        return len(self.entities)

    @property
    def n_actions(self) -> int:
        return 2 * len(self.relations)

    def __len__(self) -> int:
        return int(self.heads.size)

    def action_name(self, a: int) -> str:
        r = len(self.relations)
        return self.relations[a] if a < r else self.relations[a - r] + INVERSE

    def action_id(self, name: str) -> int | None:
        """`rel` or `rel^-1` -> action id (None when unknown)."""
        inverse = name.endswith(INVERSE)
        base = name[: -len(INVERSE)] if inverse else name
        try:
            r = self.relations.index(base)
        except ValueError:
            return None
        return r + (len(self.relations) if inverse else 0)

    def entity_id(self, name: str) -> int | None:
        i = self._index.get(name)
        if i is None:
            ids = self._lower.get(name.lower())
            i = ids[0] if ids else None
        return i

    def ids_ignoring_case(self, name: str) -> list[int]:
        return list(self._lower.get(name.lower(), []))

    # --- traversal ----------------------------------------------------------------------------------------
    def step(self, frontier: np.ndarray, action: int) -> np.ndarray:
        return self._adj[action].step(frontier)

    def available(self, frontier: np.ndarray) -> int:
        """Bit mask of the directed relations that leave at least one entity of the frontier."""
        if frontier.size == 0:
            return 0
        if frontier.size == 1:
            return int(self._masks[int(frontier[0])])
        return int(np.bitwise_or.reduce(self._masks[frontier]))

    def follow(self, start: Iterable[int], actions: Iterable[int]) -> np.ndarray:
        """Entities reached from `start` by following the directed relations in order (breadth first)."""
        frontier = np.unique(np.asarray(list(start), dtype=np.int32))
        for a in actions:
            if frontier.size == 0:
                break
            frontier = self.step(frontier, a)
        return frontier

    def walk(self, start, actions: tuple[int, ...] | list[int]) -> np.ndarray:
        """End entities of following `actions` from `start`, breadth first, never passing through a start
        entity again (MetaQA's semantics: "films that share directors with X" excludes X and X's own
        attributes). The start entities are never part of the result."""
        start = np.unique(np.asarray(start, dtype=np.int32))
        frontier = start
        for a in actions:
            frontier = _minus(self.step(frontier, a), start)
            if frontier.size == 0:
                break
        return frontier if actions else np.empty(0, dtype=np.int32)

    def neighbours(self, entity: int, action: int) -> np.ndarray:
        return self._adj[action].neighbours(entity)

    def triples_of(self, entity: int, limit: int | None = None) -> list[tuple[str, str, str, int]]:
        """Triples (head, relation, tail, triple index) touching an entity, as heads first."""
        idx = np.flatnonzero((self.heads == entity) | (self.tails == entity))
        if limit is not None:
            idx = idx[:limit]
        return [(self.entities[self.heads[i]], self.relations[self.rels[i]], self.entities[self.tails[i]], int(i))
                for i in idx]

    # --- networkx -----------------------------------------------------------------------------------------
    @property
    def nx(self):
        """A networkx MultiDiGraph (entity names as nodes, `relation` on each edge), built on first use."""
        if self._nx is None:
            import networkx as nx

            g = nx.MultiDiGraph()
            g.add_nodes_from(self.entities)
            names, rels = self.entities, self.relations
            g.add_edges_from((names[h], names[t], {"relation": rels[r]})
                             for h, r, t in zip(self.heads.tolist(), self.rels.tolist(), self.tails.tolist(),
                                                strict=True))
            self._nx = g
        return self._nx

    def describe(self) -> str:
        return f"KG({len(self)} triples, {self.n_entities} entities, {len(self.relations)} relations)"

    def __repr__(self) -> str:
        return self.describe()


def read_triples(path: Path, delimiter: str = "auto") -> list[tuple[str, str, str]]:
    """`head|relation|tail` (MetaQA kb.txt) or tab-separated lines; blank lines and `#` comments skipped."""
    triples = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith("#"):
                continue
            sep = delimiter if delimiter != "auto" else ("\t" if "\t" in line else "|")
            parts = line.split(sep)
            if len(parts) != 3 or not all(p.strip() for p in parts):
                raise KGError(f"{path}:{lineno}: expected 'head{sep}relation{sep}tail', got {line[:80]!r} "
                              "(fix the line, or set `delimiter:`)")
            triples.append((parts[0].strip(), parts[1].strip(), parts[2].strip()))
    return triples


def _minus(values: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    if values.size == 0 or exclude.size == 0:
        return values
    if exclude.size == 1:
        return values[values != exclude[0]]
    return values[~np.isin(values, exclude, assume_unique=True)]
