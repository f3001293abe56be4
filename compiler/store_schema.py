"""Moved to pipec.compiler.store.schema; this name stays importable for existing callers."""

from .store.schema import MIGRATIONS

__all__ = ["MIGRATIONS"]
