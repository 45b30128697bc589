"""Stripe's form encoding: `a[b][0][c]=v` pairs into nested dicts and lists.

Stripe (and its SDKs) send every request body, and GET query strings, in this bracket notation:
`metadata[case_id]=c1`, `line_items[0][price_data][unit_amount]=1250`, `expand[]=customer`
(the Python SDK writes `expand[0]=customer`). A container whose keys are all 0..n-1 becomes a list.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from portal.stripe_standin.errors import invalid_request

_KEY = re.compile(r"^(?P<name>[^\[\]]+)(?P<segments>(?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def parse_form(body: str) -> dict[str, Any]:
    """Parse an x-www-form-urlencoded body (or query string) into Stripe's nested parameters."""
    tree: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=False):
        match = _KEY.match(key)
        if match is None:
            raise invalid_request(f"Invalid parameter name: {key}", key)
        path = [match["name"], *_SEGMENT.findall(match["segments"])]
        _insert(tree, path, value, key)
    return _finish(tree, "")


def _insert(tree: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node = tree
    for depth, segment in enumerate(path):
        name = str(len(node)) if segment == "" else segment
        last = depth == len(path) - 1
        if last:
            if isinstance(node.get(name), dict):
                raise invalid_request(f"Invalid value for {key}: it is both a value and an object", key)
            node[name] = value
            return
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise invalid_request(f"Invalid value for {key}: it is both a value and an object", key)
        node = child


def _finish(node: dict[str, Any], prefix: str) -> Any:
    finished = {
        name: _finish(child, _join(prefix, name)) if isinstance(child, dict) else child
        for name, child in node.items()
    }
    if prefix and finished and all(name.isdigit() for name in finished):
        indices = sorted(int(name) for name in finished)
        if indices != list(range(len(indices))):
            raise invalid_request("Invalid array", prefix)
        return [finished[str(index)] for index in indices]
    return finished


def _join(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name
