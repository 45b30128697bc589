"""Requests checked against the JSON Schemas that /openapi.json publishes, by fastjsonschema.

Each schema is compiled once, on first use, so a cold start pays only for the routes it serves. The
validator's error (its path and the failing keyword) becomes our InvalidInput naming the field in the
house style: `customer.email`, `ladder[2].offset_days`, `body` for the whole body.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import InvalidInput, PayloadTooLarge
from chalicelib.schemas import MAX_BODY_BYTES, PATTERN_MESSAGES, components

# Deeper than any body we accept; also keeps later code (canonical JSON, the hash chain) off the recursion limit.
MAX_DEPTH = 32
_NOT_JSON = "body is not valid JSON"


def parse_body(raw: bytes | None, schema: dict[str, Any]) -> dict[str, Any]:
    """Bytes -> validated dict. Size first, then JSON, then the text in it, then the schema."""
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is larger than {MAX_BODY_BYTES // 1024} KB", "body")
    body: Any = loads(raw) if raw.strip() else {}
    validate(body, schema)
    return body  # type: ignore[no-any-return]


def loads(raw: bytes | str) -> Any:
    """JSON text -> Python, as a 400 naming `body` for anything hostile or malformed.

    Fractions arrive as Decimal, so `1250.0` is refused where an integer is wanted (JSON Schema would
    count it as one): money is integer minor units. Very deep nesting (RecursionError) and integers
    longer than Python converts (ValueError) are bad bodies, not server errors.
    """
    try:
        value = json.loads(raw, parse_float=Decimal)
    except RecursionError:
        raise InvalidInput(f"body nests deeper than {MAX_DEPTH} levels", "body") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput(_NOT_JSON, "body") from None
    except ValueError:  # int() refuses thousands of digits
        raise InvalidInput("body has a number with too many digits", "body") from None
    _check_text(value)
    return value


def parse_query(params: dict[str, str], schema: dict[str, Any]) -> dict[str, Any]:
    """Query parameters -> validated dict; digits become integers where the schema wants one."""
    props = schema.get("properties", {})
    typed: dict[str, Any] = {}
    for name, value in params.items():
        wants_int = props.get(name, {}).get("type") == "integer"
        typed[name] = int(value) if wants_int and value.isascii() and value.isdigit() and len(value) < 16 else value
    validate(typed, schema)
    return typed


def validate(value: Any, schema: dict[str, Any], field: str = "body") -> None:
    """Check `value` against `schema`; a failure is an InvalidInput naming the field."""
    from fastjsonschema import JsonSchemaValueException

    try:
        _compiled(schema)(value)
    except JsonSchemaValueException as exc:
        raise _invalid(exc, field) from None


def _check_text(value: Any) -> None:
    """Every string must be encodable (no lone surrogates such as `\\ud800`) and nesting bounded."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"body nests deeper than {MAX_DEPTH} levels", "body")
        if isinstance(node, str):
            if not _encodable(node):
                raise InvalidInput("is not valid Unicode text (it holds a lone surrogate)", path or "body")
        elif isinstance(node, dict):
            for key, item in node.items():
                if not _encodable(key):
                    raise InvalidInput("has a field name that is not valid Unicode text", path or "body")
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node))


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- compiled validators ------------------------------------------------------------------------------

_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def _compiled(schema: dict[str, Any]) -> Any:
    """The compiled validator of a schema (a module constant, so its id is stable; kept alive here)."""
    found = _COMPILED.get(id(schema))
    if found is None:
        import fastjsonschema

        found = (schema, fastjsonschema.compile(_inlined(schema), formats=FORMATS, use_default=False))
        _COMPILED[id(schema)] = found
    return found[1]


def _inlined(node: Any) -> Any:
    """The schema with each `#/components/schemas/<name>` reference replaced by that component.

    Compiling the components into the root instead would copy them into every error the generated
    code can raise: twice the compile time on a cold start.
    """
    if isinstance(node, dict):
        if "$ref" in node:
            return _as_set_lookup(node["$ref"].removeprefix("#/components/schemas/"))
        return {key: _inlined(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(item) for item in node]
    return node


LONG_ENUM = 64


def _as_set_lookup(name: str) -> dict[str, Any]:
    """A component whose enum is long (the ~600 IANA zones) is checked as a lookup in a set built from
    that same enum: generated code spelling out every value costs tens of ms to compile on a cold start."""
    component = components()[name]
    if len(component.get("enum", ())) <= LONG_ENUM:
        return component  # type: ignore[no-any-return]
    allowed = frozenset(component["enum"])
    FORMATS[f"enum:{name}"] = allowed.__contains__
    return {**{k: v for k, v in component.items() if k != "enum"}, "format": f"enum:{name}"}


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _is_date_time(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None and "T" in value
    except ValueError:
        return False


FORMATS: dict[str, Callable[[str], bool]] = {"date": _is_date, "date-time": _is_date_time}
FORMAT_MESSAGES = {"date": "must be a date as YYYY-MM-DD",
                   "date-time": "must be a date-time with a time zone, e.g. 2026-12-01T10:00:00Z"}
TYPE_NAMES = {"object": "an object", "array": "a list", "string": "a string", "integer": "an integer",
              "boolean": "true or false", "null": "null", "number": "a number"}


def _invalid(exc: Any, prefix: str) -> InvalidInput:
    """The validator's complaint in our words, naming the field it is about."""
    where = exc.name[len("data"):]
    field = (prefix if prefix != "body" else "") + where
    field = field.lstrip(".") or "body"
    rule, schema, value = exc.rule, exc.definition or {}, exc.value
    if rule == "required":
        missing = [k for k in schema["required"] if k not in value]
        return InvalidInput("is required", _join(field, missing[0]))
    if rule == "additionalProperties":
        unknown = [k for k in value if k not in schema.get("properties", {})]
        return InvalidInput("unknown field", _join(field, unknown[0]))
    if rule == "uniqueItems":
        again = [i for i, item in enumerate(value) if item in value[:i]]
        return InvalidInput(f"{value[again[0]]} appears twice", f"{field}[{again[0]}]")
    return InvalidInput(_message(rule, schema), field)


def _message(rule: str, schema: dict[str, Any]) -> str:
    if "title" in schema and rule in ("enum", "pattern", "format"):
        title = schema["title"]
        example = f", e.g. {schema['examples'][0]}" if schema.get("examples") else ""
        return f"must be {'an' if title[0] in 'AEIOU' else 'a'} {title}{example}"
    if rule == "type":
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        text = "must be " + " or ".join(TYPE_NAMES[k] for k in kinds)
        return text + (" (money is in minor units)" if "minor units" in schema.get("description", "") else "")
    if rule == "enum":
        return f"must be one of {', '.join(map(str, schema['enum']))}"
    if rule == "pattern":
        return PATTERN_MESSAGES.get(schema["pattern"], "has an invalid format")
    if rule == "format":
        return FORMAT_MESSAGES.get(schema["format"], "has an invalid format")
    limits = {"minLength": "must not be empty" if schema.get("minLength") == 1 else
              f"must be at least {schema.get('minLength')} characters",
              "maxLength": f"must be at most {schema.get('maxLength')} characters",
              "minimum": f"must be at least {schema.get('minimum')}",
              "maximum": f"must be at most {schema.get('maximum')}",
              "minItems": f"needs at least {schema.get('minItems')} item(s)",
              "maxItems": f"must have at most {schema.get('maxItems')} items"}
    return limits.get(rule, "is not valid")


def _join(path: str, key: str) -> str:
    return key if path == "body" else f"{path}.{key}"
