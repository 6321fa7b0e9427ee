"""Reading a synthesized CloudFormation template: references, IAM statements, the workflow.

CDK writes references as `Ref` / `Fn::GetAtt`; these helpers turn them back into logical ids so a
test can say "the intake role" or "the reports bucket" instead of matching generated JSON.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

Resources = dict[str, dict[str, Any]]
Statement = dict[str, Any]

TOKEN = "${Token}"
"""Stands in for every CloudFormation expression inside a joined state machine definition."""


def as_list(value: Any) -> list[Any]:
    """CloudFormation's "one value or a list of values", always as a list."""
    return value if isinstance(value, list) else [value]


def ref_id(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at, None for anything else."""
    if not isinstance(value, dict):
        return None
    if "Ref" in value:
        return str(value["Ref"])
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else target.split(".")[0])
    return None


def referenced_ids(value: Any) -> set[str]:
    """Every logical id referenced anywhere inside a value (pseudo parameters left out)."""
    found: set[str] = set()
    if isinstance(value, dict):
        target = ref_id(value)
        if target is not None and not target.startswith("AWS::"):
            found.add(target)
        for child in value.values():
            found |= referenced_ids(child)
    elif isinstance(value, list):
        for child in value:
            found |= referenced_ids(child)
    return found


def of_type(resources: Resources, type_name: str) -> Resources:
    """The resources of one type; none at all fails, so an "every ..." check is never vacuous."""
    found = {name: r for name, r in resources.items() if r["Type"] == type_name}
    assert found, f"the template has no {type_name}"
    return found


def policy_statements(value: Any) -> Iterator[Statement]:
    """Every statement of every policy document anywhere in a value (IAM, key, bucket, queue...)."""
    if isinstance(value, dict):
        if "Statement" in value and "Version" in value:
            yield from as_list(value["Statement"])
            return
        for child in value.values():
            yield from policy_statements(child)
    elif isinstance(value, list):
        for child in value:
            yield from policy_statements(child)


def statements_by_role(resources: Resources) -> dict[str, list[Statement]]:
    """Each role's statements: its inline policies and every policy resource attached to it."""
    by_role: dict[str, list[Statement]] = defaultdict(list)
    for name, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                by_role[name].extend(as_list(policy["PolicyDocument"]["Statement"]))
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in props.get("Roles", []):
                role_name = ref_id(role)
                assert role_name is not None, f"{name} attaches to a role it does not reference: {role}"
                by_role[role_name].extend(as_list(props["PolicyDocument"]["Statement"]))
    return dict(by_role)


def allows(
    statements: list[Statement], action: str, resource_id: str, *, any_resource_counts: bool = False
) -> bool:
    """Whether an Allow statement grants `action` (wildcards expanded) on the named resource.

    With `any_resource_counts`, a statement on Resource "*" counts too: use it to prove a role
    can NOT do something, never to prove that it can.
    """
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if not any(fnmatchcase(action, pattern) for pattern in as_list(statement.get("Action", []))):
            continue
        targets = as_list(statement.get("Resource", []))
        if resource_id in referenced_ids(targets) or (any_resource_counts and "*" in targets):
            return True
    return False


def function_role(resources: Resources, function_id: str) -> str:
    role = ref_id(resources[function_id]["Properties"]["Role"])
    assert role is not None
    return role


def state_machine_definition(state_machine: dict[str, Any]) -> dict[str, Any]:
    """The definition as JSON; each non-string part of its Fn::Join becomes TOKEN.

    CDK writes references (ARNs, the partition) as expressions inside string values, so a
    placeholder without quotes keeps the joined text valid JSON.
    """
    body = state_machine["Properties"]["DefinitionString"]
    if isinstance(body, str):
        return dict(json.loads(body))
    delimiter, parts = body["Fn::Join"]
    return dict(json.loads(delimiter.join(p if isinstance(p, str) else TOKEN for p in parts)))


def dashboard_body(dashboard: dict[str, Any]) -> dict[str, Any]:
    """A dashboard's body as JSON; each reference inside it becomes `${<logical id>}` (a pseudo
    parameter `${AWS::Region}`), so a test can say which resource a widget shows."""
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, str):
        return dict(json.loads(body))
    delimiter, parts = body["Fn::Join"]
    return dict(
        json.loads(
            delimiter.join(p if isinstance(p, str) else "${" + (ref_id(p) or "Token") + "}" for p in parts)
        )
    )
