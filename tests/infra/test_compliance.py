"""The compliance gates the synthesis runs: cdk-nag (AwsSolutions, HIPAA) and cfn-lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_s3 as s3

from infra.app import build_app
from infra.nag import ACKNOWLEDGED, GRANT_WILDCARDS
from tests.infra.synthesis import Synthesized, operator_context, require_layer, stack_of

NAG_PACKS = {"AwsSolutions", "HIPAA.Security"}
CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def validation_report(directory: str | Path) -> dict[str, dict[str, Any]]:
    """The plugin reports CDK writes next to the assembly, by plugin name."""
    report = json.loads((Path(directory) / "validation-report.json").read_text())
    return {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}


def test_the_app_synthesizes_with_both_nag_packs_clean(dev: Synthesized) -> None:
    # Given the app as the operator configures it / When it is synthesized
    assembly = dev.app.synth()
    # Then both packs ran and left no finding unacknowledged
    plugins = validation_report(assembly.directory)
    assert set(plugins) >= NAG_PACKS
    for name in NAG_PACKS:
        assert (plugins[name]["conclusion"], plugins[name]["violations"]) == ("success", []), name


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    # Given the app with one more bucket: no KMS encryption, no access logs, no TLS-only policy
    require_layer()
    app = build_app(context=operator_context(), outdir=str(tmp_path))
    s3.Bucket(stack_of(app), "Unreviewed")
    # When it is synthesized / Then the synthesis fails, the error quoting the findings (CDK puts
    # the report in the exception when it sees pytest)
    with pytest.raises(RuntimeError, match=r"\(AwsSolutions\)"):
        app.synth()
    # And the report names the AwsSolutions and HIPAA findings on that bucket
    plugins = validation_report(tmp_path)
    for name in NAG_PACKS:
        assert plugins[name]["conclusion"] == "failure", name
        paths = {c["constructPath"] for v in plugins[name]["violations"] for c in v["violatingConstructs"]}
        assert paths == {f"{stack_of(app).node.path}/Unreviewed/Resource"}, name
    rules = {v["ruleName"] for v in plugins["AwsSolutions"]["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


@pytest.mark.parametrize(("rule", "paths", "reason"), ACKNOWLEDGED, ids=[a[0] for a in ACKNOWLEDGED])
def test_each_acknowledgement_names_resources_and_gives_a_reason(
    rule: str, paths: list[str], reason: str
) -> None:
    assert paths, f"{rule} acknowledges nothing"
    assert len(reason.strip()) >= 40, f"{rule}: the reason says too little"


def test_the_grant_wildcard_acknowledgement_gives_a_reason() -> None:
    assert len(GRANT_WILDCARDS.strip()) >= 40


def test_cfn_lint_finds_neither_errors_nor_warnings(dev: Synthesized) -> None:
    # Given the template the session's synthesis wrote
    assert dev.template_path.is_file()
    # When cfn-lint checks it as `make synth` does (W3005: CDK writes redundant DependsOn)
    linted = subprocess.run(
        [str(CFN_LINT), str(dev.template_path), "--ignore-checks", "W3005"],
        capture_output=True,
        text=True,
        check=False,
    )
    # Then it reports nothing
    assert (linted.returncode, linted.stdout.strip()) == (0, ""), linted.stdout + linted.stderr
