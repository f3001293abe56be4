"""What an op is: typed input/output ports, a pydantic parameter model, and a `run` method.

    class Chunk(Op):
        '''Split documents into chunks of `size` tokens.'''
        name = "chunk.tokens"

        class Params(OpParams):
            size: int = 200

        inputs = {"documents": In("Documents")}
        outputs = {"chunks": Out("Chunks")}

        def run(self, ctx, documents):
            return {"chunks": [...]}

`run` may be a coroutine function (for I/O-bound ops such as LLM calls); a plain function runs in a worker
thread so that independent nodes progress concurrently. Ops with `inline = True` are trivial and run on the
event loop directly (no thread hop). An op's result is a dict with exactly its output port names.

The op contract is checked when an op class is defined (at import of its module): every input port must be a
parameter of `run` (or be taken by `**kwargs`), every parameter of `run` after `ctx` must be an input port, and an
optional port's parameter needs a default. A mismatch raises `OpDefinitionError` naming the op, the port and the
parameter. `version` defaults to "1": bump it only when results change without the code file changing.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from .errors import PipeError, Problem
from .port_types import get_type
from .startup import deps


class OpDefinitionError(PipeError, TypeError):
    """An op class breaks the op contract (ports versus `run`'s parameters); raised when the class is defined."""


class OpParams(BaseModel):
    """Base of every op's parameter model: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _PathMarker:
    """Marks a parameter as a file or folder path, resolved by `resolve_param_path` and fingerprinted by
    content for memoization."""


# Use `path: PathParam` in a Params model for files the op reads.
PathParam = Annotated[str, _PathMarker()]


def resolve_param_path(base_dir: Path, value: str | Path) -> Path:
    """A relative path names a file beside the YAML file when it exists there, else one relative to the current
    directory: files shipped with a graph resolve wherever it is run from, and a path typed on the command line
    (`--set data_dir=../shared/data/hotpotqa`) means what the shell user sees."""
    path = Path(value).expanduser()
    if path.is_absolute():
        deps.note(path)  # the start-up fast path replays a plan only while these are unchanged
        return path
    beside_yaml = base_dir / path
    deps.note(beside_yaml)
    deps.note(path)
    return beside_yaml if beside_yaml.exists() or not path.exists() else path.resolve()


def path_fields(params_model: type[BaseModel]) -> list[str]:
    out = []
    for name, field in params_model.model_fields.items():
        if any(isinstance(m, _PathMarker) for m in field.metadata):
            out.append(name)
    return out


@dataclass(frozen=True)
class In:
    type: str = "Any"
    doc: str = ""
    required: bool = True
    # A `many` input takes a list of references and receives a list of values (fan-in).
    many: bool = False

    def __post_init__(self):
        get_type(self.type)  # fail early on an undeclared type


@dataclass(frozen=True)
class Out:
    type: str = "Any"
    doc: str = ""

    def __post_init__(self):
        get_type(self.type)


class Op:
    """Base class for ops. Subclasses set the class attributes below and implement `run`."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    Params: ClassVar[type[OpParams]] = OpParams
    inputs: ClassVar[dict[str, In]] = {}
    outputs: ClassVar[dict[str, Out]] = {}
    # Trivial ops run on the event loop instead of a worker thread.
    inline: ClassVar[bool] = False
    # Ops whose output must never be memoized (e.g. they read a clock). Rare.
    cacheable: ClassVar[bool] = True
    # False when `fingerprint` depends on what the start-up fast path cannot watch (a remote resource, the
    # clock): a graph with this op is then compiled and keyed on every `pipe run` (compiler/startup).
    replayable: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        check_op_contract(cls)

    def __init__(self, params: OpParams):
        self.params = params

    def run(self, ctx: Any, **inputs: Any) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def validate(self, base_dir: Path) -> list[Problem]:
        """Compile-time checks beyond the parameter model (e.g. a prompt template's variables).

        Returns one `Problem(message, path=(parameter,), fix=...)` per problem (`path=()` for the node as a
        whole); the compiler locates it in the YAML. The older form, a (parameter or None, message, fix or None)
        tuple, is still accepted. Called only when the parameters themselves are valid. Must be fast and must
        not call any external service."""
        return []

    def fingerprint(self, ctx: Any) -> Any:
        """Extra content that identifies this op's result beyond params and inputs (e.g. files it reads).

        The default hashes the content of every `PathParam` parameter. Override to add more."""
        from .fingerprint import fingerprint_path

        out = {}
        files = getattr(getattr(ctx, "cache", None), "files", None)  # hashes reused by stat (store-owned)
        for field in path_fields(type(self.params)):
            value = getattr(self.params, field)
            if value:
                out[field] = fingerprint_path(ctx.resolve_path(value), files)
        return out or None

    # --- helpers for the compiler and docs -------------------------------------------------------
    @classmethod
    def is_async(cls) -> bool:
        return inspect.iscoroutinefunction(cls.run)

    @classmethod
    def code_version(cls) -> str:
        """Hash of the source file defining the op: editing an op's code invalidates its cached results."""
        cached = cls.__dict__.get("_code_version")
        if cached:
            return cached
        module = sys.modules.get(cls.__module__)
        file = getattr(module, "__file__", None)
        try:
            digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()[:16] if file else "unknown"
        except OSError:
            digest = "unknown"
        cls._code_version = digest
        return digest

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "").strip()


def check_op_contract(cls: type[Op]) -> None:
    """`inputs` and the parameters of `run` must agree; raise `OpDefinitionError` naming op, port and parameter."""
    label = f"op {cls.name or cls.__qualname__} ({cls.__module__}.{cls.__qualname__})"
    if "run" not in cls.__dict__ and "inputs" not in cls.__dict__:
        return  # nothing new to check: an intermediate base class, or a subclass changing only params
    try:
        params = list(inspect.signature(cls.run).parameters.values())[1:]  # drop self
    except (TypeError, ValueError):
        return
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        raise OpDefinitionError(f"{label}: run must take the run context first: def run(self, ctx, ...)")
    named = {p.name: p for p in params[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params[1:])
    for port, spec in cls.inputs.items():
        param = named.get(port)
        if param is None and not takes_any:
            close = [n for n in named if n not in cls.inputs]
            hint = f"; run has parameter '{close[0]}' (rename it to '{port}')" if len(close) == 1 else ""
            raise OpDefinitionError(f"{label}: input port '{port}' is not a parameter of run{hint}")
        if param is not None and not spec.required and param.default is param.empty:
            raise OpDefinitionError(f"{label}: input port '{port}' is optional but run's parameter '{port}' has "
                                    f"no default (give it one, e.g. {port}=None)")
    for name in named:
        if name not in cls.inputs:
            ports = ", ".join(cls.inputs) or "none"
            raise OpDefinitionError(f"{label}: run's parameter '{name}' is not an input port (ports: {ports})")
