"""A deployed portal as CloudFormation sees it: the stack of a stage, and what its template says.

Nothing here knows a resource by name. What a function is given (`TABLE_NAME: {"Ref": "CasesTable"}`)
is read from the template; what that resource became in a stack is read from the stack's outputs (the
output whose value is the same `Ref`), else from the stack's resources. So the operator commands and
`portal deploy` follow infra/resources.json as it grows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


class StackError(RuntimeError):
    pass


def app_name() -> str:
    return str(json.loads(CHALICE_CONFIG.read_text())["app_name"])


def stack_name(stage: str) -> str:
    """One stack per stage, named as Chalice names its own deployments: `<app>-<stage>`."""
    return f"{app_name()}-{stage}"


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every function's environment variables, by logical id (infra/ declares some without a Type:
    Chalice's package adds it when it merges them)."""
    return {logical_id: (resource.get("Properties", {}).get("Environment") or {}).get("Variables", {})
            for logical_id, resource in template.get("Resources", {}).items()
            if resource.get("Type", FUNCTION_TYPES[0]) in FUNCTION_TYPES and "Environment" in
            resource.get("Properties", {})}


def output_for(template: dict[str, Any], logical_id: str) -> str | None:
    """The output whose value is `{"Ref": logical_id}`: how the stack publishes that resource."""
    for key, output in template.get("Outputs", {}).items():
        if output.get("Value") == {"Ref": logical_id}:
            return str(key)
    return None


@dataclass(frozen=True)
class Stack:
    """A deployed stack: its outputs and the physical ids of its resources."""
    name: str
    region: str
    outputs: dict[str, str]
    resources: dict[str, str]  # logical id -> physical id (what `Ref` gives for these types)
    parameters: dict[str, str] = field(default_factory=dict)  # what a `Ref` to a parameter gives

    def ref(self, template: dict[str, Any], logical_id: str) -> str:
        if logical_id in template.get("Parameters", {}) and logical_id in self.parameters:
            return self.parameters[logical_id]
        key = output_for(template, logical_id)
        if key and self.outputs.get(key):
            return self.outputs[key]
        if self.resources.get(logical_id):
            return self.resources[logical_id]
        raise StackError(f"stack {self.name} has no resource {logical_id} (deployed from an older template? "
                         "run `portal deploy` again)")

    def environment(self, template: dict[str, Any], function: str) -> dict[str, str]:
        """The environment `function` runs with in this stack: literals as they are, Refs resolved."""
        env = functions(template).get(function)
        if env is None:
            raise StackError(f"the template has no function {function}")
        resolved = {}
        for name, value in env.items():
            if isinstance(value, str):
                resolved[name] = value
            elif isinstance(value, dict) and "Ref" in value:
                resolved[name] = self.ref(template, value["Ref"])
        return resolved

    def settings(self, template: dict[str, Any]) -> dict[str, str]:
        """Every variable any function gets that names a literal, a parameter or a resource this stack has:
        what the operator commands need to find things."""
        merged: dict[str, str] = {}
        for env in functions(template).values():
            for name, value in env.items():
                if isinstance(value, str):
                    merged[name] = value
                elif isinstance(value, dict) and "Ref" in value:
                    try:
                        merged[name] = self.ref(template, value["Ref"])
                    except StackError:
                        continue  # a resource this stack lacks; whoever needs it says so
        return merged


def describe(cloudformation: Any, name: str, region: str) -> Stack | None:
    """The stack called `name`, or None when there is none."""
    found = _described(cloudformation, name)
    if found is None:
        return None
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in found.get("Outputs") or []}
    resources: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        resources.update({r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                          for r in page["StackResourceSummaries"]})
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters") or []}
    return Stack(name, region, outputs, resources, parameters)


def package(stage: str, region: str, out: Path, merge_template: Path) -> Path:
    """The slimmed deployable package with infra/ merged in; returns the SAM template (deployment.zip beside it)."""
    from portal import packaging

    try:
        return packaging.package(stage, out, merge_template, region)
    except RuntimeError as exc:
        raise StackError(str(exc)) from exc


def expand(sam: dict[str, Any], region: str, parameters: dict[str, str]) -> dict[str, Any]:
    """The SAM template as plain CloudFormation, expanded here by the translator CloudFormation's own
    Serverless transform runs: the plan can list the real resources, and any CloudFormation (moto's
    included) can create them. Offline: the session only names the region."""
    import logging

    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # it warns that it publishes no metrics
    session = boto3.session.Session(region_name=region)
    translated: dict[str, Any] = Translator(None, Parser(), boto_session=session).translate(
        sam_template=json.loads(json.dumps(sam)), parameter_values=dict(parameters))
    return translated


def status(cloudformation: Any, name: str) -> str | None:
    """The stack's status (CREATE_COMPLETE, REVIEW_IN_PROGRESS, ...), or None when there is no such stack."""
    found = _described(cloudformation, name)
    return None if found is None else str(found["StackStatus"])


def template_of(cloudformation: Any, name: str) -> dict[str, Any] | None:
    """The template the stack runs (with the Serverless transform applied), or None: no stack yet, or one
    only in review."""
    if status(cloudformation, name) in (None, "REVIEW_IN_PROGRESS"):
        return None
    body = cloudformation.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:  # YAML: not one this tool deployed
            return None
    return dict(body)


def _described(cloudformation: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return dict(cloudformation.describe_stacks(StackName=name)["Stacks"][0])
    except ClientError as exc:
        # CloudFormation has no error code of its own for this: a ValidationError that says so.
        if "does not exist" in exc.response["Error"].get("Message", ""):
            return None
        raise
