"""Deterministic subsets of a record list: `sample` picks a seeded random subset, `limit` keeps the first N."""

from __future__ import annotations

import random
from typing import TypeVar

from pipec.compiler.op import OpParams
from pydantic import Field

T = TypeVar("T")


class SubsetParams(OpParams):
    """Mixed into loaders: which records to keep."""

    limit: int | None = Field(None, ge=1, description="keep only the first N records (after sampling)")
    sample: int | None = Field(None, ge=1, description="a seeded random subset of N records (order kept)")
    seed: int = Field(0, description="seed of `sample`")


def subset(items: list[T], limit: int | None = None, sample: int | None = None, seed: int = 0) -> list[T]:
    """`sample` first (a stable random subset in original order), then `limit`."""
    if sample is not None and sample < len(items):
        keep = sorted(random.Random(seed).sample(range(len(items)), sample))
        items = [items[i] for i in keep]
    if limit is not None:
        items = items[:limit]
    return items
