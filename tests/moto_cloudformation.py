"""What moto's CloudFormation (moto 5.2.5, moto/cloudformation/parsing.py) lacks for our stack, filled in for tests.

- Outputs after a change set: moto builds a stack created by a CREATE change set around an empty template
  and never rebuilds its outputs when the change set runs, so such a stack has none. AWS computes them.
- AWS::SecretsManager::Secret: moto has no CloudFormation model for it (it warns and creates nothing). Here it
  is created as CloudFormation does: a generated name, the template's SecretString, Ref = the ARN.
- AWS::Cognito::UserPool, UserPoolClient, UserPoolGroup: moto has Cognito but no CloudFormation model for it;
  here they are created in moto's Cognito as CloudFormation does (Ref: the pool id, the client id, the group
  name; the pool's Arn and ProviderName).
- Outputs naming an attribute of a resource moto skips (a CloudFront domain): moto fails the whole
  description; here that one output is left out.
- AWS::ApiGateway::Deployment: moto creates the RestApi but ignores its OpenAPI `Body`, so the API has no
  methods and moto refuses to deploy it. It is left out, as moto leaves out the types it does not know.

Every other type moto does not know (the API's stage, bucket policies, ...) is skipped by moto itself; the
tests name them and check them in the template instead (tests/integration/test_deploy_stack.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import secretsmanager_backends

FILLED_IN = {"AWS::SecretsManager::Secret", "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient",
             "AWS::Cognito::UserPoolGroup"}
LEFT_OUT = {"AWS::ApiGateway::Deployment": "moto ignores the RestApi's OpenAPI Body, so there is nothing to deploy"}


class Secret(CloudFormationModel):
    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str, **kwargs: Any) -> Secret:
        props = cloudformation_json["Properties"]
        import json

        created = secretsmanager_backends[account_id][region_name].create_secret(
            name=resource_name, secret_string=props.get("SecretString"), secret_binary=None,
            description=props.get("Description"), tags=None, kms_key_id=None, client_request_token=None,
            replica_regions=[], force_overwrite=False)
        return cls(json.loads(created)["ARN"])


class _Cognito(CloudFormationModel):
    """What the stack's Cognito resources have in common: made once, unchanged by an update."""

    def __init__(self, ref: str, attributes: dict[str, str] | None = None) -> None:
        self.ref = ref
        self.attributes = attributes or {}

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.ref

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.attributes[attribute_name]

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,  # type: ignore[override]
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> Any:
        return original_resource


class UserPool(_Cognito):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str, **kwargs: Any) -> UserPool:
        from moto.cognitoidp.models import cognitoidp_backends

        props = cloudformation_json["Properties"]
        config = {k: v for k, v in props.items() if k not in ("UserPoolName", "Schema")}
        pool = cognitoidp_backends[account_id][region_name].create_user_pool(props["UserPoolName"], config)
        pool.add_custom_attributes([a for a in props.get("Schema", []) if a["Name"] != "name"])
        return cls(pool.id, {"Arn": pool.arn, "ProviderName": f"cognito-idp.{region_name}.amazonaws.com/{pool.id}"})


class UserPoolClient(_Cognito):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str, **kwargs: Any) -> UserPoolClient:
        from moto.cognitoidp.models import cognitoidp_backends

        props = dict(cloudformation_json["Properties"])
        pool_id = props.pop("UserPoolId")
        made = cognitoidp_backends[account_id][region_name].create_user_pool_client(
            pool_id, bool(props.pop("GenerateSecret", False)), props)
        return cls(made.id)


class UserPoolGroup(_Cognito):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolGroup"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str, **kwargs: Any) -> UserPoolGroup:
        from moto.cognitoidp.models import cognitoidp_backends

        props = cloudformation_json["Properties"]
        cognitoidp_backends[account_id][region_name].create_group(
            props["UserPoolId"], props["GroupName"], props.get("Description", ""), props.get("RoleArn", ""),
            props.get("Precedence", 0))
        return cls(props["GroupName"])


def supported(resource_type: str) -> bool:
    """Whether moto's CloudFormation (with the above) creates this type."""
    return parsing.resource_class_from_type(resource_type) is not None


@contextmanager
def moto_cloudformation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    models = {**parsing.get_model_map(), "AWS::SecretsManager::Secret": Secret,
              **{m.cloudformation_type(): m for m in (UserPool, UserPoolClient, UserPoolGroup)}}
    for left_out in LEFT_OUT:
        models.pop(left_out, None)
    monkeypatch.setattr(parsing, "get_model_map", lambda: models)
    original_apply = cfn_models.ChangeSet.apply

    def apply(self: Any) -> None:
        original_apply(self)
        self.stack.template = self.template
        self.stack._parse_template()
        self.stack.output_map = self.stack._create_output_map()

    monkeypatch.setattr(cfn_models.ChangeSet, "apply", apply)
    original_output = parsing.parse_output

    def parse_output(logical_id: str, output_json: Any, resources_map: Any) -> Any:
        try:
            return original_output(logical_id, output_json, resources_map)
        except ValidationError:  # an attribute of a resource moto did not create: no output, not no stack
            return None

    monkeypatch.setattr(parsing, "parse_output", parse_output)
    yield
