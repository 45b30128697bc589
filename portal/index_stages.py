"""Upgrading a deployed stack whose tables gain (or lose) several global secondary indexes at once.

CloudFormation, like DynamoDB's UpdateTable, creates or deletes only one global secondary index per table
in one update, and refuses a template that asks for more. `index_stages` turns the deployed template into
the few templates to deploy first: each changes one more index of each table, and nothing else, so the
running code only meets the new indexes once they all exist (the last update, the new template, brings it).
"""
from __future__ import annotations

import copy
from typing import Any

TABLE = "AWS::DynamoDB::Table"


def index_stages(deployed: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The templates to deploy before `new`, in order; empty when `new` changes at most one index per table."""
    running = deployed.get("Resources", {})
    changes = {logical_id: _index_changes(running[logical_id], resource)
               for logical_id, resource in new.get("Resources", {}).items()
               if resource.get("Type") == TABLE and running.get(logical_id, {}).get("Type") == TABLE}
    stages = []
    for k in range(max((len(c) for c in changes.values()), default=0) - 1):
        stage = copy.deepcopy(deployed)
        for logical_id, table_changes in changes.items():
            _apply(stage["Resources"][logical_id]["Properties"], table_changes[:min(k + 1, len(table_changes) - 1)])
        stages.append(stage)
    return stages


def _indexes(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {index["IndexName"]: index for index in table.get("Properties", {}).get("GlobalSecondaryIndexes", [])}


def _index_changes(deployed: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(name, the new definition or {} for a deletion, the new table's attribute definitions), deletions first."""
    before, after = _indexes(deployed), _indexes(new)
    attributes = new.get("Properties", {}).get("AttributeDefinitions", [])
    return ([(name, {}, attributes) for name in before if name not in after]
            + [(name, index, attributes) for name, index in after.items() if name not in before])


def _apply(table: dict[str, Any], changes: list[tuple[str, dict[str, Any], list[Any]]]) -> None:
    indexes = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
    known = {a["AttributeName"]: a for a in table.get("AttributeDefinitions", [])}
    for name, index, attributes in changes:
        if index:
            indexes[name] = copy.deepcopy(index)
        else:
            indexes.pop(name, None)
        known.update({a["AttributeName"]: a for a in attributes})
    table["GlobalSecondaryIndexes"] = list(indexes.values())
    if not indexes:
        del table["GlobalSecondaryIndexes"]
    # DynamoDB refuses an attribute definition that no key uses.
    used = {key["AttributeName"] for schema in [table.get("KeySchema", [])]
            + [i["KeySchema"] for i in [*indexes.values(), *table.get("LocalSecondaryIndexes", [])]] for key in schema}
    table["AttributeDefinitions"] = [a for name, a in known.items() if name in used]
