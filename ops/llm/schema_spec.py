"""A small field spec in YAML -> a pydantic model, for `llm.extract`.

    fields:
      name: str                                   # shorthand: the type
      age: {type: int, description: "in years"}
      tags: list[str]
      kind: {enum: [person, place, thing]}
      note: {type: str, required: false}          # optional: may be null
"""

from __future__ import annotations

import keyword
import re
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

TYPES: dict[str, Any] = {
    "str": str, "string": str, "int": int, "integer": int, "float": float, "number": float, "bool": bool,
    "boolean": bool, "list[str]": list[str], "list[int]": list[int], "list[float]": list[float],
    "list[bool]": list[bool], "dict": dict[str, Any], "object": dict[str, Any],
}
FIELD_KEYS = {"type", "description", "required", "enum"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SchemaSpecError(ValueError):
    pass


def _field(name: str, spec: Any) -> tuple[Any, Any]:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name) or name in ("id", "error"):
        raise SchemaSpecError(f"field name '{name}' must be an identifier other than 'id' and 'error'")
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict):
        raise SchemaSpecError(f"field '{name}': expected a type name or a mapping with 'type', got {spec!r}")
    unknown = set(spec) - FIELD_KEYS
    if unknown:
        raise SchemaSpecError(f"field '{name}': unknown key(s) {', '.join(sorted(unknown))} "
                              f"(allowed: {', '.join(sorted(FIELD_KEYS))})")
    if "enum" in spec:
        values = spec["enum"]
        if not isinstance(values, list) or not values:
            raise SchemaSpecError(f"field '{name}': 'enum' must be a non-empty list")
        annotation: Any = Literal[tuple(values)]
    else:
        type_name = str(spec.get("type", "str")).replace(" ", "")
        if type_name not in TYPES:
            raise SchemaSpecError(f"field '{name}': unknown type '{type_name}' (types: "
                                  f"{', '.join(sorted(set(TYPES)))})")
        annotation = TYPES[type_name]
    description = spec.get("description")
    if spec.get("required", True):
        return annotation, Field(..., description=description)
    return Optional[annotation], Field(None, description=description)  # noqa: UP045 - runtime construction


def build_model(spec: dict[str, Any], name: str = "Extracted") -> type[BaseModel]:
    if not isinstance(spec, dict) or not spec:
        raise SchemaSpecError("fields must be a non-empty mapping of field name -> type")
    fields = {field_name: _field(field_name, field_spec) for field_name, field_spec in spec.items()}
    return create_model(name, __config__=ConfigDict(extra="ignore"), **fields)
