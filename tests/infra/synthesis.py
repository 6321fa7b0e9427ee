"""Synthesizing the CDK app for tests, and finding constructs in the template it writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnResource, Stack
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra.app import build_app
from infra.config import CONTEXT_KEY, ENV_KEY
from infra.functions import LAYER_DIR
from infra.stack import SecondOpinionStack

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Synthesized:
    """One synthesized app: the assertions view, the raw template and where it was written."""

    app: App
    stack: SecondOpinionStack
    template: Template
    raw: dict[str, Any]
    template_path: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.raw["Resources"])

    def logical_id(self, construct: IConstruct) -> str:
        """The template's logical id of an L2 construct's CloudFormation resource."""
        resource = construct.node.default_child
        assert isinstance(resource, CfnResource), f"{construct.node.path} has no CloudFormation resource"
        return str(self.stack.resolve(self.stack.get_logical_id(resource)))


def operator_context(env: str = "dev", **overrides: object) -> dict[str, Any]:
    """The context committed in cdk.json choosing environment `env`, with some of its settings
    changed (an environment cdk.json does not define is added)."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    settings = context[CONTEXT_KEY]
    chosen = {**settings["environments"].get(env, {}), **overrides}
    return {**context, CONTEXT_KEY: {**settings, "environments": {env: chosen}}, ENV_KEY: env}


def require_layer() -> None:
    if not (LAYER_DIR / "python" / "secondopinion").is_dir():
        pytest.fail(f"The shared layer is not built: run `make layer` (expected {LAYER_DIR})", pytrace=False)


def stack_of(app: App) -> SecondOpinionStack:
    stack = next(child for child in app.node.children if Stack.is_stack(child))
    assert isinstance(stack, SecondOpinionStack)
    return stack


def synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    """Build and synthesize the app; cdk-nag's packs have passed once this returns."""
    require_layer()
    app = build_app(context=context, outdir=str(outdir))
    stack = stack_of(app)
    template = Template.from_stack(stack)  # synthesizes the whole app, validation plugins included
    return Synthesized(app, stack, template, dict(template.to_json()), outdir / stack.template_file)
