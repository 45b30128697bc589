"""Upgrading a stack whose table gains several indexes: each template `portal deploy` sends changes one index
of a table and nothing else, and every attribute definition it carries is used by a key (what DynamoDB and
CloudFormation require; moto enforces neither, so this is checked here)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from portal.index_stages import index_stages

INFRA = json.loads((Path(__file__).resolve().parents[2] / "infra" / "resources.json").read_text())
CONSOLE_INDEXES = ("by_attention", "by_due", "by_balance", "by_customer", "by_updated")


def template(without: tuple[str, ...] = (), extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """infra/'s table (and one other resource) without the indexes named."""
    table = copy.deepcopy(INFRA["Resources"]["CasesTable"])
    props = table["Properties"]
    props["GlobalSecondaryIndexes"] = [i for i in props["GlobalSecondaryIndexes"] if i["IndexName"] not in without]
    if extra:
        props["GlobalSecondaryIndexes"].append(extra)
        props["AttributeDefinitions"].append({"AttributeName": "OldSK", "AttributeType": "S"})
    used = {k["AttributeName"] for schema in [props["KeySchema"]] + [i["KeySchema"] for i in
                                                                      props["GlobalSecondaryIndexes"]] for k in schema}
    props["AttributeDefinitions"] = [a for a in props["AttributeDefinitions"] if a["AttributeName"] in used]
    return {"Resources": {"CasesTable": table, "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}


def names(t: dict[str, Any]) -> set[str]:
    return {i["IndexName"] for i in t["Resources"]["CasesTable"]["Properties"].get("GlobalSecondaryIndexes", [])}


def attributes_are_exactly_the_keys(t: dict[str, Any]) -> bool:
    props = t["Resources"]["CasesTable"]["Properties"]
    keys = {k["AttributeName"] for schema in [props["KeySchema"]] + [i["KeySchema"] for i in
                                                                     props.get("GlobalSecondaryIndexes", [])]
            for k in schema}
    defined = [a["AttributeName"] for a in props["AttributeDefinitions"]]
    return sorted(defined) == sorted(keys)


def test_five_new_indexes_go_in_one_per_update_and_the_new_template_brings_the_last() -> None:
    deployed, new = template(without=CONSOLE_INDEXES), template()
    stages = index_stages(deployed, new)
    assert len(stages) == 4
    for before, after in zip([deployed, *stages], [*stages, new], strict=True):
        assert len(names(after) ^ names(before)) == 1  # one index created per update
        assert attributes_are_exactly_the_keys(after)
    assert [stage["Resources"]["Topic"] for stage in stages] == [deployed["Resources"]["Topic"]] * 4
    assert names(stages[0]) == names(deployed) | {"by_attention"}  # in the new template's order


def test_a_dropped_index_goes_first_then_one_new_one_per_update() -> None:
    old_index = {"IndexName": "by_old", "Projection": {"ProjectionType": "KEYS_ONLY"},
                 "KeySchema": [{"AttributeName": "ListPK", "KeyType": "HASH"},
                               {"AttributeName": "OldSK", "KeyType": "RANGE"}]}
    deployed, new = template(without=("by_due", "by_balance"), extra=old_index), template()
    stages = index_stages(deployed, new)
    assert [names(s) ^ names(deployed) for s in stages] == [{"by_old"}, {"by_old", "by_due"}]
    assert all(attributes_are_exactly_the_keys(s) for s in stages)
    assert "OldSK" not in json.dumps(stages[0]["Resources"]["CasesTable"]["Properties"]["AttributeDefinitions"])


def test_one_index_or_none_needs_no_staging() -> None:
    assert index_stages(template(without=("by_due",)), template()) == []
    assert index_stages(template(), template()) == []
    assert index_stages({"Resources": {}}, template()) == []  # a table the stack does not have yet
