"""Allow-list validation of request parameters, with Stripe's error messages.

Each endpoint declares the parameters it accepts (schemas.py); anything else is rejected exactly as
Stripe rejects it: "Received unknown parameter: line_items[0][price_data][foo]". Values arrive as
strings and are coerced here (integers, booleans, enums), so the rest of the stand-in sees typed data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.stripe_standin.errors import invalid_request, missing_parameter, unknown_parameter

_INTEGER = re.compile(r"^-?\d+$")
METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500


@dataclass(frozen=True)
class Param:
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    fields: Mapping[str, Param] = field(default_factory=dict)
    item: Param | None = None


def string(required: bool = False) -> Param:
    return Param("string", required)


def integer(required: bool = False) -> Param:
    return Param("integer", required)


def boolean(required: bool = False) -> Param:
    return Param("boolean", required)


def enum(*choices: str, required: bool = False) -> Param:
    return Param("enum", required, choices=choices)


def metadata() -> Param:
    return Param("metadata")


def obj(fields: Mapping[str, Param], required: bool = False) -> Param:
    return Param("object", required, fields=fields)


def array(item: Param, required: bool = False) -> Param:
    return Param("array", required, item=item)


def validate(params: Mapping[str, Any], schema: Mapping[str, Param], prefix: str = "") -> dict[str, Any]:
    """Return `params` coerced to their declared types, or raise Stripe's 400 for the first problem."""
    for name in params:
        if name not in schema:
            raise unknown_parameter(_path(prefix, name))
    for name, param in schema.items():
        if param.required and name not in params:
            raise missing_parameter(_path(prefix, name))
    return {name: _coerce(value, schema[name], _path(prefix, name)) for name, value in params.items()}


def _coerce(value: Any, param: Param, path: str) -> Any:
    if param.kind == "object":
        if not isinstance(value, dict):
            raise invalid_request("Invalid object", path)
        return validate(value, param.fields, path)
    if param.kind == "array":
        if not isinstance(value, list):
            raise invalid_request("Invalid array", path)
        assert param.item is not None
        return [_coerce(item, param.item, f"{path}[{index}]") for index, item in enumerate(value)]
    if param.kind == "metadata":
        return _metadata(value, path)
    if not isinstance(value, str):
        raise invalid_request(f"Invalid {param.kind}: {path} must be a single value", path)
    if param.kind == "integer":
        if not _INTEGER.match(value):
            raise invalid_request(f"Invalid integer: {value}", path, "parameter_invalid_integer")
        return int(value)
    if param.kind == "boolean":
        if value not in ("true", "false"):
            raise invalid_request(f"Invalid boolean: {value}", path)
        return value == "true"
    if param.kind == "enum" and value not in param.choices:
        raise invalid_request(f"Invalid {path}: must be one of {_one_of(param.choices)}", path)
    return value


def _metadata(value: Any, path: str) -> dict[str, str]:
    if value == "":
        return {}
    if isinstance(value, list):  # metadata[0]=x parses as a list; to Stripe "0" is just a key
        value = {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise invalid_request("Invalid object", path)
    if len(value) > METADATA_KEYS:
        raise invalid_request(f"You can have up to {METADATA_KEYS} metadata keys.", path)
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid_request(f"Invalid string: {path}[{key}] must be a single value", f"{path}[{key}]")
        if len(key) > METADATA_KEY_LENGTH:
            raise invalid_request(
                f"Metadata keys can have up to {METADATA_KEY_LENGTH} characters, but you passed in a key "
                f"that is {len(key)} characters.", f"{path}[{key}]")
        if len(item) > METADATA_VALUE_LENGTH:
            raise invalid_request(
                f"Metadata values can have up to {METADATA_VALUE_LENGTH} characters, but you passed in a "
                f"value that is {len(item)} characters.", f"{path}[{key}]")
    return {key: item for key, item in value.items() if item != ""}  # "" unsets a key, as at Stripe


def _path(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name


def _one_of(choices: tuple[str, ...]) -> str:
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + f", or {choices[-1]}"
