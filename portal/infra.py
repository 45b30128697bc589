"""Create the deployed resources in moto from infra/resources.json, so tests and the demo cannot drift."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.adapters.secrets import initial_secret

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "resources.json"


def template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())


def table_definition() -> dict[str, Any]:
    return template()["Resources"]["CasesTable"]["Properties"]


def create_table(client: Any, name: str) -> None:
    props = table_definition()
    client.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        SSESpecification={"Enabled": props["SSESpecification"]["SSEEnabled"]},
        DeletionProtectionEnabled=props["DeletionProtectionEnabled"],
    )
    client.get_waiter("table_exists").wait(TableName=name)
    client.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]},
    )
    ttl = props["TimeToLiveSpecification"]
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]})


def create_link_keys_secret(client: Any, name: str) -> str:
    return client.create_secret(Name=name, SecretString=initial_secret())["ARN"]
