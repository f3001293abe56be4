"""Deterministic subsets of a record list: `sample` picks a seeded random subset, `limit` keeps the first N."""

from __future__ import annotations

import random
from typing import Literal, TypeVar

from pipec.compiler.op import OpParams
from pydantic import Field

T = TypeVar("T")


class SubsetParams(OpParams):
    """Mixed into loaders: which records to keep."""

    limit: int | None = Field(None, ge=1, description="keep only the first N records (after sampling)")
    sample: int | None = Field(None, ge=1, description="a seeded random subset of N records (order kept)")
    seed: int = Field(0, description="seed of `sample`")
    offset: int = Field(0, ge=0, description="skip the first N records (after sampling, before limit): with "
                                             "`limit`, one minibatch (strategy: bandit)")


def subset(items: list[T], limit: int | None = None, sample: int | None = None, seed: int = 0,
           offset: int = 0) -> list[T]:
    """`sample` first (a stable random subset in original order), then `offset`, then `limit`."""
    if sample is not None and sample < len(items):
        keep = sorted(random.Random(seed).sample(range(len(items)), sample))
        items = [items[i] for i in keep]
    if offset:
        items = items[offset:]
    if limit is not None:
        items = items[:limit]
    return items


class SplitParams(OpParams):
    """A seeded tuning/validation split of the records (set by `pipe tune` from `tune.validation`)."""

    fraction: float = Field(0.3, gt=0, lt=1, description="share of the records held out for validation")
    seed: int = Field(0, description="seed of the split")
    by: str | None = Field(None, description="stratify by this field (or meta field), e.g. `type`")
    part: Literal["tune", "validation"] = Field("tune", description="which part to keep")


def split_part(items: list[T], split: SplitParams | None) -> list[T]:
    """The records of one part of a seeded split, in their original order. Stratified by `split.by`: each
    group gives round(fraction * size) records to validation (at least one, never all, when it has two or
    more), so the parts are disjoint, together are the whole list, and depend only on the records and seed."""
    if split is None:
        return items
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(_field(item, split.by) if split.by else "", []).append(i)
    held: set[int] = set()
    rng = random.Random(split.seed)
    for key in sorted(groups):
        members = groups[key]
        n = round(split.fraction * len(members))
        if len(members) >= 2:
            n = min(max(n, 1), len(members) - 1)  # both parts get some of every group
        held.update(rng.sample(members, n))
    keep = (lambda i: i in held) if split.part == "validation" else (lambda i: i not in held)
    return [item for i, item in enumerate(items) if keep(i)]


def _field(item: object, name: str) -> str:
    value = getattr(item, name, None)
    if value is None:
        value = (getattr(item, "meta", None) or {}).get(name)
    return str(value)
