"""The value codec of memoized node results: self-verifying, and nothing in it can run code on load.

    blob = encode(outputs)          # b"PIPEC-V1" + SHA-256 of the payload + msgpack payload
    outputs = decode(blob)          # CorruptValue when the bytes are not what was written

The payload is msgpack. Plain values (None, bool, int, float, str, bytes, lists, str-keyed dicts) are native;
everything else is a typed extension from one registry of value types:
- tuples, dicts with other keys, sets;
- numpy arrays as `.npy` bytes (read back with `allow_pickle=False`) and numpy scalars;
- faiss indexes through faiss's own serializer;
- dataclasses and plain classes of pipec's own modules (`pipec.*`: Question, Chunk, Answer, indexes, ...) by
  their fields. A stored name outside `pipec.` is refused, so a crafted store cannot import or call anything;
- pickle, only for ops that opt in (`Op.pickle_results = True`, decided by the code, never by the store).

A numpy array of at least `BUFFER_MIN` bytes (an index's vectors, a serialized faiss index) is stored out of
band: its raw bytes follow the msgpack payload, which is then framed as one ext32 value of type `BUFFERS`
(payload length first), and the array's place in the payload names its dtype, shape and offset. Encoding and
decoding it is one copy each way instead of the five of `.npy` bytes nested in msgpack values.

A list of at least `ROWS_MIN` instances of one plain dataclass (a node's chunks, documents, retrievals), as an
output or a field of a stored object, is stored as rows: the class name and field names once, then one list of
field values per instance (about 10x faster both ways than one typed extension per instance; a 20,000-chunk list
was most of a re-run's encode and decode). It decodes to the same list of equal instances.

Every read checks the SHA-256: a changed byte, a truncated or an old-format (pickle) blob is `CorruptValue`,
which the executor treats as a cache miss (the node runs again, with a warning naming it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import io
import operator
import sys
import threading
from typing import Any

import msgpack

from .. import collector  # decoding builds objects by the hundred thousand and no garbage cycles

MAGIC = b"PIPEC-V1"
HEADER = len(MAGIC) + 32

# extension type codes
TUPLE, DICT, SET, NDARRAY, NPSCALAR, DATACLASS, OBJECT, FAISS, PICKLE, ROWS, BUFFER, BUFFERS = range(1, 13)
BUFFER_MIN = 1 << 16  # a smaller array is stored inline, as .npy bytes
ROWS_MIN = 8  # a shorter list of dataclass instances is stored instance by instance
TRUSTED_PREFIX = "pipec."
# Classes of dependencies whose instances are plain state (numbers, strings, dicts, numpy arrays), stored by
# their fields like pipec's own; plugins add theirs with `register_type`.
_TRUSTED_TYPES: set[str] = {"bm25s:BM25"}


_PICKLE_OPS: set[str] = set()


def register_type(cls: type) -> None:
    """Store instances of `cls` (a class outside `pipec.` whose state is plain values) by their fields."""
    _TRUSTED_TYPES.add(f"{cls.__module__}:{cls.__qualname__}")


def _trusted(name: str) -> bool:
    return (name.startswith(TRUSTED_PREFIX) or name in _TRUSTED_TYPES) and "<locals>" not in name


def allow_pickle_for(op: str) -> None:
    """Let results of op `op` hold pickles (an op's explicit opt-in, `Op.pickle_results = True`)."""
    _PICKLE_OPS.add(op)


def pickle_allowed(op: str | None) -> bool:
    return op is not None and op in _PICKLE_OPS


class CorruptValue(Exception):
    """A stored value that fails verification (changed, truncated, missing, or not in this format)."""


class UnstorableValue(TypeError):
    """A value of a type the codec cannot store without pickle (the op may opt in: `pickle_results = True`)."""


_local = threading.local()  # the out-of-band buffers of the value being encoded or decoded in this thread


def encode(outputs: Any, allow_pickle: bool = False) -> bytes:
    outputs = _with_rows(outputs) if type(outputs) is dict else outputs
    buffers: list[Any] = []
    previous, _local.buffers = getattr(_local, "buffers", None), buffers
    try:
        payload = msgpack.packb(outputs, default=lambda v: _ext(v, allow_pickle), use_bin_type=True,
                                strict_types=True)
    finally:
        _local.buffers = previous
    parts = [payload]
    if buffers:
        if len(payload) >= 1 << 32:
            raise UnstorableValue("a value with large arrays whose other parts exceed 4 GiB")
        parts = [b"\xc9" + len(payload).to_bytes(4, "big") + bytes([BUFFERS]), payload, *buffers]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return b"".join([MAGIC, digest.digest(), *parts])


def _split(body: memoryview) -> tuple[memoryview, memoryview | None]:
    """(msgpack payload, out-of-band buffers or None) of a verified blob's body."""
    if len(body) > 6 and body[0] == 0xC9 and body[5] == BUFFERS:
        n = int.from_bytes(body[1:5], "big")
        return body[6:6 + n], body[6 + n:]
    return body, None


def decode(blob: bytes, allow_pickle: bool = False) -> Any:
    verify(blob)
    payload, buffers = _split(memoryview(blob)[HEADER:])
    previous, _local.buffers = getattr(_local, "buffers", None), buffers
    try:
        with collector.paused():
            return msgpack.unpackb(payload, ext_hook=lambda code, data: _unext(code, data, allow_pickle),
                                   raw=False, strict_map_key=False)
    except CorruptValue:
        raise
    except Exception as exc:  # verified bytes that still do not decode: a value type this version lacks
        raise CorruptValue(f"stored value does not decode: {type(exc).__name__}: {exc}") from None
    finally:
        _local.buffers = previous


def verify(blob: bytes | None) -> None:
    if blob is None:
        raise CorruptValue("the stored value is missing")
    if not bytes(blob[:len(MAGIC)]) == MAGIC:
        raise CorruptValue("the stored value is not in the verified format (an older store, or damaged)")
    if len(blob) < HEADER or hashlib.sha256(memoryview(blob)[HEADER:]).digest() != bytes(blob[len(MAGIC):HEADER]):
        raise CorruptValue("the stored value does not match its SHA-256 (changed or truncated)")


# --- the registry of value types ------------------------------------------------------------------------------
def _pack(value: Any, allow_pickle: bool) -> bytes:
    return msgpack.packb(value, default=lambda v: _ext(v, allow_pickle), use_bin_type=True, strict_types=True)


def _unpack(data: bytes, allow_pickle: bool) -> Any:
    return msgpack.unpackb(data, ext_hook=lambda c, d: _unext(c, d, allow_pickle), raw=False,
                           strict_map_key=False)


def _ext(value: Any, allow_pickle: bool) -> msgpack.ExtType:
    if type(value) is _Rows:
        return msgpack.ExtType(ROWS, _pack(value.packed(), allow_pickle))
    if isinstance(value, bool | int | float | str | bytes | type(None)):  # subclasses (IntEnum, str enums...)
        return _ext_plain(value, allow_pickle)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return msgpack.ExtType(TUPLE, _pack(list(value), allow_pickle))
    if isinstance(value, dict):
        return msgpack.ExtType(DICT, _pack([[k, v] for k, v in value.items()], allow_pickle))
    if isinstance(value, (set, frozenset)):
        return msgpack.ExtType(SET, _pack(sorted(value, key=repr), allow_pickle))
    if isinstance(value, list):
        return msgpack.ExtType(TUPLE, _pack(list(value), allow_pickle))  # a list subclass: as a plain list
    np = sys.modules.get("numpy")  # a numpy value exists only once numpy is imported: others never import it
    if np is not None and isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return msgpack.ExtType(TUPLE, _pack(value.tolist(), allow_pickle))
        if value.nbytes >= BUFFER_MIN and value.dtype.fields is None and _local.buffers is not None:
            return _out_of_band(np.ascontiguousarray(value), allow_pickle)
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return msgpack.ExtType(NDARRAY, buf.getvalue())
    if np is not None and isinstance(value, np.generic):
        return msgpack.ExtType(NPSCALAR, _pack([value.dtype.str, value.tobytes()], allow_pickle))
    faiss_index = _faiss_bytes(value)
    if faiss_index is not None:
        return msgpack.ExtType(FAISS, faiss_index)
    cls = type(value)
    name = f"{cls.__module__}:{cls.__qualname__}"
    if _trusted(name):
        if dataclasses.is_dataclass(value):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return msgpack.ExtType(DATACLASS, _pack([name, _with_rows(fields)], allow_pickle))
        state = value.__getstate__() if hasattr(value, "__getstate__") else vars(value)
        if isinstance(state, dict):
            return msgpack.ExtType(OBJECT, _pack([name, _with_rows(state)], allow_pickle))
    if allow_pickle:
        import pickle

        return msgpack.ExtType(PICKLE, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    raise UnstorableValue(f"a value of type {cls.__module__}.{cls.__qualname__} cannot be stored without pickle")


def _out_of_band(value: Any, allow_pickle: bool) -> msgpack.ExtType:
    buffers = _local.buffers
    offset = sum(len(b) for b in buffers)
    buffers.append(memoryview(value).cast("B"))
    return msgpack.ExtType(BUFFER, _pack([value.dtype.str, list(value.shape), offset, value.nbytes], allow_pickle))


def _ext_plain(value: Any, allow_pickle: bool) -> msgpack.ExtType:
    """A subclass of a plain type (an enum member, a str subclass, numpy's float64) as its plain value."""
    for base in (bool, int, float, str, bytes):
        if isinstance(value, base):
            return msgpack.ExtType(NPSCALAR, _pack(["plain", base(value)], allow_pickle))
    raise UnstorableValue(f"cannot store {type(value).__name__}")


def _unext(code: int, data: bytes, allow_pickle: bool) -> Any:
    if code == ROWS:
        return _unrows(*_unpack(data, allow_pickle))
    if code == TUPLE:
        return tuple(_unpack(data, allow_pickle))
    if code == DICT:
        return {_hashable(k): v for k, v in _unpack(data, allow_pickle)}
    if code == SET:
        return {_hashable(v) for v in _unpack(data, allow_pickle)}
    if code == BUFFER:
        return _unbuffer(*_unpack(data, allow_pickle))
    if code in (NDARRAY, NPSCALAR, FAISS):
        return _unext_numpy(code, data, allow_pickle)
    if code in (DATACLASS, OBJECT):
        name, fields = _unpack(data, allow_pickle)
        cls = _trusted_class(name)
        if code == DATACLASS:
            if not dataclasses.is_dataclass(cls):
                raise CorruptValue(f"stored type {name} is not a dataclass")
            init = {f.name: fields[f.name] for f in dataclasses.fields(cls) if f.init and f.name in fields}
            obj = cls(**init)
            for key in set(fields) - set(init):
                object.__setattr__(obj, key, fields[key])
            return obj
        obj = cls.__new__(cls)
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(fields)
        else:
            obj.__dict__.update(fields)
        return obj
    if code == PICKLE:
        if not allow_pickle:
            raise CorruptValue("the stored value holds a pickle, which this op does not allow")
        import pickle

        return pickle.loads(data)
    raise CorruptValue(f"unknown stored value type {code}")


def _unext_numpy(code: int, data: bytes, allow_pickle: bool) -> Any:
    if code == NPSCALAR:
        dtype, raw = _unpack(data, allow_pickle)
        if dtype == "plain":  # an enum member or a str subclass: no numpy needed
            return raw
    import numpy as np  # only for values that hold numpy: a cached run of plain values never imports it

    if code == NDARRAY:
        return np.load(io.BytesIO(data), allow_pickle=False)
    if code == NPSCALAR:
        return np.frombuffer(raw, dtype=np.dtype(dtype))[0]
    import faiss

    return faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))


# --- lists of dataclass instances as rows ----------------------------------------------------------------------
class _Rows:
    """A list of instances of one row class, to be stored as rows (see the module doc)."""

    __slots__ = ("cls", "fields", "items")

    def __init__(self, cls: type, fields: tuple[str, ...], items: list[Any]):
        self.cls, self.fields, self.items = cls, fields, items

    def packed(self) -> list[Any]:
        get = operator.attrgetter(*self.fields)
        rows = [list(get(o)) for o in self.items] if len(self.fields) > 1 else [[get(o)] for o in self.items]
        return [f"{self.cls.__module__}:{self.cls.__qualname__}", list(self.fields), rows]


@functools.cache
def _row_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a class whose instances can be stored as rows: a trusted dataclass that keeps its state in
    `__dict__` and whose `__init__` only assigns fields (no `__post_init__`, no slots); else None."""
    name = f"{cls.__module__}:{cls.__qualname__}"
    if not dataclasses.is_dataclass(cls) or not _trusted(name) or "__slots__" in vars(cls) \
            or hasattr(cls, "__post_init__"):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


def _with_rows(values: dict) -> dict:
    """`values` with each long list of one row class's instances marked to be stored as rows."""
    out = None
    for key, value in values.items():
        if type(value) is list and len(value) >= ROWS_MIN:
            cls = type(value[0])
            fields = _row_fields(cls)
            if fields and all(type(v) is cls for v in value):
                out = dict(values) if out is None else out
                out[key] = _Rows(cls, fields, value)
    return values if out is None else out


def _unrows(name: str, fields: list[str], rows: list[list[Any]]) -> list[Any]:
    cls = _trusted_class(name)
    if _row_fields(cls) is None:
        raise CorruptValue(f"stored type {name} cannot be stored as rows")
    if tuple(fields) != _row_fields(cls):  # the class changed since: through its __init__ (fills defaults)
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        return [cls(**{k: v for k, v in zip(fields, row, strict=True) if k in init}) for row in rows]
    new, out = cls.__new__, []
    for row in rows:
        obj = new(cls)
        obj.__dict__.update(zip(fields, row, strict=True))
        out.append(obj)
    return out


def _unbuffer(dtype: str, shape: list[int], offset: int, nbytes: int) -> Any:
    """An out-of-band array, copied out of the blob (writable, and the blob can be freed)."""
    import numpy as np

    buffers = _local.buffers
    dt = np.dtype(dtype)
    if buffers is None or offset < 0 or offset + nbytes > len(buffers) or dt.hasobject or \
            nbytes != dt.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise CorruptValue("an out-of-band array lies outside the stored value")
    return np.frombuffer(buffers, dtype=dt, count=nbytes // max(dt.itemsize, 1), offset=offset).reshape(shape).copy()


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=1024)
def _trusted_class(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not _trusted(name):
        raise CorruptValue(f"stored type {name} is not one of pipec's value types")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise CorruptValue(f"stored type {name} is not a class")
    return obj


def _faiss_bytes(value: Any) -> bytes | None:
    module = type(value).__module__ or ""
    if not module.startswith("faiss"):
        return None
    import faiss

    if not isinstance(value, faiss.Index):
        return None
    return faiss.serialize_index(value).tobytes()
