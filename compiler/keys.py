"""Node cache keys: a content key per node, known before anything runs (keys never depend on values).

key = sha256 of the node's static part (op name, op version, op source hash, canonical parameters; computed
once per compiled node and memoized) and its per-run part (the keys of its inputs, the op's content
fingerprint of files it reads, the fingerprints of the models it names, from their providers' hooks). A fully
cached re-run therefore hashes little more than one short string per node.
"""

from __future__ import annotations

import weakref
from typing import Any

from .context import RunContext, Runtime
from .fingerprint import canonical_json, hash_text
from .graph import CompiledGraph, CompiledNode
from .llm.fingerprints import fingerprinted_models, model_fingerprint
from .op import Op, path_fields


class _Static:
    """What a node's key needs that cannot change between runs of one compiled graph."""

    __slots__ = ("models", "params_json", "path_fields", "prefix", "uses_fingerprint")

    def __init__(self, node: CompiledNode):
        cls = node.op_cls
        params = node.display_params
        fields = path_fields(cls.Params)
        self.params_json = canonical_json(params)
        self.path_fields = [f for f in fields if isinstance(params.get(f), str) and params.get(f)]
        self.uses_fingerprint = cls.fingerprint is not Op.fingerprint or bool(fields)
        self.models = fingerprinted_models(params)
        self.prefix = _op_head(node.op_name, cls) + ("" if self.path_fields else self.params_json)


_heads: dict[tuple[str, type], str] = {}


def _op_head(op_name: str, cls: type[Op]) -> str:
    head = _heads.get((op_name, cls))
    if head is None:
        head = _heads[(op_name, cls)] = canonical_json(
            {"op": op_name, "version": cls.version, "code": cls.code_version()})
    return head


_memo: dict[int, tuple[weakref.ref, _Static]] = {}


def static_part(node: CompiledNode) -> _Static:
    entry = _memo.get(id(node))
    if entry is not None and entry[0]() is node:
        return entry[1]
    static = _Static(node)
    key = id(node)
    _memo[key] = (weakref.ref(node, lambda _ref, key=key: _memo.pop(key, None)), static)
    return static


def params_json(node: CompiledNode) -> str:
    """The node's parameters as canonical JSON (secrets as placeholders), as stored with each node run."""
    return static_part(node).params_json


def compute_keys(graph: CompiledGraph, runtime: Runtime) -> dict[str, str]:
    keys: dict[str, str] = {}
    for name in graph.order:
        node = graph.nodes[name]
        static = static_part(node)
        # Port names are identifiers and keys hex, so this text is unambiguous without JSON encoding.
        tail = ";".join(port + "=" + ("[" + ",".join(keys[r.node] + ":" + r.port for r in ref) + "]"
                                      if isinstance(ref, list) else keys[ref.node] + ":" + ref.port)
                        for port, ref in sorted(node.inputs.items()))
        dynamic: dict[str, Any] = {}
        if static.path_fields or static.uses_fingerprint:
            ctx = RunContext(runtime, name)
            if static.path_fields:
                dynamic["params"] = key_params(node, ctx)
            if static.uses_fingerprint:
                dynamic["content"] = node.op_cls(node.params).fingerprint(ctx)
        if static.models:
            prints = {m: fp for m in static.models if (fp := model_fingerprint(m)) is not None}
            if prints:
                dynamic["models"] = prints
        if dynamic:
            tail += "|" + canonical_json(dynamic)
        keys[name] = hash_text(static.prefix + "|" + tail)
    return keys


def key_params(node: CompiledNode, ctx: RunContext) -> dict[str, Any]:
    """The parameters as they enter a node key: a path that exists counts by its name (its content is in the
    op's fingerprint), not by its spelling, so `data/x`, `./data/x` and an absolute path give the same key."""
    params = node.display_params
    fields = static_part(node).path_fields
    if not fields:
        return params
    params = dict(params)
    for name in fields:
        resolved = ctx.resolve_path(params[name])
        if resolved.exists():
            params[name] = {"path_named": resolved.resolve().name}
    return params


__all__ = ["compute_keys", "key_params", "params_json"]
