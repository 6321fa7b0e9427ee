"""CDK entry point: `cdk synth` / `cdk deploy` run this (see cdk.json)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from .config import CONTEXT_KEY, ENV_KEY, from_context
from .nag import acknowledge
from .stack import SecondOpinionStack

FEATURE_FLAGS: dict[str, object] = {
    # Access logs are delivered under a bucket policy, not the legacy LogDeliveryWrite ACL
    # (cfn-lint W3045, which fails `make synth`).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(context: dict[str, object] | None = None, outdir: str | None = None) -> App:
    """The app with cdk-nag's AwsSolutions and HIPAA packs; synthesis fails on any finding left."""
    app = App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    config = from_context(app.node.try_get_context(CONTEXT_KEY), app.node.try_get_context(ENV_KEY))
    # Account stays unresolved: synthesis needs no credentials; the region is the operator's.
    stack = SecondOpinionStack(
        app,
        f"SecondOpinion-{config.env_name}",
        config=config,
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region),
        description="Radiology second-opinion pipeline (uploads, validation, review workflow, reports)",
    )
    acknowledge(stack)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    return app


def main(argv: list[str] | None = None) -> None:
    """Synthesize. Run by the CDK CLI, the context (cdk.json and -c) arrives in CDK_CONTEXT_JSON;
    run directly (make synth), cdk.json's context is read here, with `-c key=value` on top as the
    CLI would (`make synth ENV_NAME=prod` passes `-c env=prod`), so both paths agree."""
    parser = argparse.ArgumentParser(prog="python -m infra.app")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    context = None
    if "CDK_CONTEXT_JSON" not in os.environ and Path("cdk.json").exists():
        context = json.loads(Path("cdk.json").read_text()).get("context", {})
    for pair in args.context:
        key, separator, value = pair.partition("=")
        if not separator:
            parser.error(f"-c {pair}: give the context as KEY=VALUE")
        context = {**(context or {}), key: value}
    build_app(context).synth()


if __name__ == "__main__":
    main()
