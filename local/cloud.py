"""The local AWS: moto's server in this process, the synthesized template deployed into it.

The template in cdk.out is the source of truth: its assets are uploaded to the bootstrap bucket
and moto's CloudFormation creates the stack, as `cdk deploy` would. Resource types moto does not
know (API Gateway's authorizer and WAF, Cognito, alarms, backups) are left out of the local
deployment; the local HTTP server plays API Gateway from the same template.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

ACCOUNT = "123456789012"
BOOTSTRAP_QUALIFIER = "hnb659fds"

# The HTTP front (API Gateway, its invoke permissions, the firewall) is played by the local HTTP
# server from the same template; everything else is handed to moto, which creates what it knows
# and skips, with a warning, what it does not (policies, Cognito, alarms, backups).
# The pages' CDN and their deployment are played by the local portal server, which serves build/web;
# what refers to the CDN (its address in CORS rules and the e-mail link) gets PORTAL_PLACEHOLDER.
NOT_DEPLOYED_PREFIXES = ("AWS::ApiGateway::", "AWS::WAFv2::", "AWS::CloudFront::")
NOT_DEPLOYED_TYPES = {"AWS::Lambda::Permission", "Custom::CDKBucketDeployment"}
PORTAL_PREFIX = "AWS::CloudFront::"
PORTAL_PLACEHOLDER = "portal.local.invalid"
PER_FUNCTION_VARIABLES = {"POWERTOOLS_SERVICE_NAME"}
"""Variables whose value differs per function; a process shared by all takes none of them."""

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Assembly:
    """One synthesized stack in a cloud assembly directory."""

    directory: Path
    stack_name: str

    @classmethod
    def find(cls, directory: Path) -> Assembly:
        templates = sorted(directory.glob("*.template.json"))
        if len(templates) != 1:
            raise SystemExit(f"Expected one synthesized stack in {directory}; run `make synth` first.")
        return cls(directory, templates[0].name.removesuffix(".template.json"))

    @property
    def template(self) -> dict[str, Any]:
        return json.loads((self.directory / f"{self.stack_name}.template.json").read_text())

    @property
    def assets(self) -> dict[str, Any]:
        return json.loads((self.directory / f"{self.stack_name}.assets.json").read_text())["files"]

    @property
    def region(self) -> str:
        for asset in self.assets.values():
            for destination in asset["destinations"].values():
                return str(destination["region"])
        return "eu-central-2"


def local_template(template: dict[str, Any]) -> dict[str, Any]:
    """The template without the resources the local deployment leaves out (and refs to them)."""
    resources = {
        name: r
        for name, r in template["Resources"].items()
        if not r["Type"].startswith(NOT_DEPLOYED_PREFIXES) and r["Type"] not in NOT_DEPLOYED_TYPES
    }
    portal = {name for name, r in template["Resources"].items() if r["Type"].startswith(PORTAL_PREFIX)}
    resources = {name: _without_refs(r, portal) for name, r in resources.items()}
    for name, r in resources.items():
        dangling = _refs(r.get("Properties", {})) - set(resources) - set(template.get("Parameters", {}))
        dangling = {d for d in dangling if not d.startswith("AWS::")}
        if dangling:
            raise SystemExit(f"{name} refers to {sorted(dangling)}, which the local stack does not deploy.")
        if "DependsOn" in r:
            deps = [r["DependsOn"]] if isinstance(r["DependsOn"], str) else r["DependsOn"]
            r["DependsOn"] = [d for d in deps if d in resources]
    outputs = {
        k: v
        for k, v in template.get("Outputs", {}).items()
        if not any(name not in resources for name in _refs(v))
    }
    return {**template, "Resources": resources, "Outputs": outputs}


def _without_refs(node: Any, names: set[str]) -> Any:
    """`node` with every Ref or GetAtt of one of `names` replaced by the portal placeholder."""
    if isinstance(node, dict):
        if len(node) == 1 and ("Ref" in node or "Fn::GetAtt" in node) and _refs(node) & names:
            return PORTAL_PLACEHOLDER
        return {k: _without_refs(v, names) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_refs(v, names) for v in node]
    return node


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set()
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str):
                found.add(v)
            elif k == "Fn::GetAtt":
                found.add(v[0] if isinstance(v, list) else str(v).split(".")[0])
            else:
                found |= _refs(v)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _zip_directory(source: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(source))


def deploy(assembly: Assembly, session: boto3.session.Session) -> dict[str, str]:
    """Upload the assets and create the stack; returns {logical id: physical id}."""
    region = assembly.region
    ssm = session.client("ssm", region_name=region)
    ssm.put_parameter(
        Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version", Value="30", Type="String", Overwrite=True
    )
    s3 = session.client("s3", region_name=region)
    bucket = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{ACCOUNT}-{region}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    with tempfile.TemporaryDirectory() as tmp:
        for asset in assembly.assets.values():
            source = assembly.directory / asset["source"]["path"]
            for destination in asset["destinations"].values():
                if asset["source"].get("packaging") == "zip" or source.is_dir():
                    archive = Path(tmp) / destination["objectKey"]
                    _zip_directory(source, archive)
                    s3.upload_file(str(archive), bucket, destination["objectKey"])
                else:
                    s3.upload_file(str(source), bucket, destination["objectKey"])
    cfn = session.client("cloudformation", region_name=region)
    cfn.create_stack(
        StackName=assembly.stack_name,
        TemplateBody=json.dumps(local_template(assembly.template)),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + 120
    while True:
        status = cfn.describe_stacks(StackName=assembly.stack_name)["Stacks"][0]["StackStatus"]
        if status == "CREATE_COMPLETE":
            break
        if status.endswith("FAILED") or "ROLLBACK" in status or time.monotonic() > deadline:
            events = cfn.describe_stack_events(StackName=assembly.stack_name)["StackEvents"][:5]
            raise RuntimeError(f"local stack creation ended in {status}: {events}")
        time.sleep(0.2)
    resources: dict[str, str] = {}
    paginator = cfn.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=assembly.stack_name):
        for r in page["StackResourceSummaries"]:
            resources[r["LogicalResourceId"]] = r["PhysicalResourceId"]
    return resources


def copy_assembly(source: Path) -> Path:
    """A private copy of cdk.out, so a synth running meanwhile cannot change what is deployed:
    the manifests and templates, and only the assets they name (cdk.out keeps stale ones)."""
    target = Path(tempfile.mkdtemp(prefix="secondopinion-assembly-"))
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("asset.*"))
    for manifest in source.glob("*.assets.json"):
        for asset in json.loads(manifest.read_text()).get("files", {}).values():
            path = source / asset["source"]["path"]
            if path.is_dir():
                shutil.copytree(path, target / path.name)
            else:
                shutil.copy2(path, target / path.name)
    return target


def aws_environment(endpoint: str, region: str) -> dict[str, str]:
    """Environment for boto3 in this process: every client talks to the local moto server."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }


def hand_state_machines_to_interpreter(region: str) -> list[str]:
    """moto's CloudFormation registers state machines with its plain Step Functions backend, but
    with execution enabled the API serves the interpreting backend: register them there too,
    under the same names (so the same ARNs) and with the same resolved definitions."""
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    plain = stepfunctions_backends[ACCOUNT][region]
    interpreting = stepfunctions_parser_backends[ACCOUNT][region]
    handed = []
    for machine in plain.state_machines:
        interpreting.create_state_machine(
            name=machine.name, definition=machine.definition, roleArn=machine.roleArn
        )
        handed.append(machine.arn)
    return handed


def function_environment(session: boto3.session.Session, names: list[str]) -> dict[str, str]:
    """The union of the deployed functions' variables, for handlers that share one process."""
    lam = session.client("lambda")
    merged: dict[str, str] = {}
    for name in names:
        variables = (
            lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
        )
        for key, value in variables.items():
            if key in PER_FUNCTION_VARIABLES:
                continue
            if merged.get(key, value) != value:
                raise RuntimeError(f"functions disagree on {key}; a shared process needs one value")
            merged[key] = value
    return merged


def apply_what_moto_skips(
    session: boto3.session.Session, template: dict[str, Any], resources: dict[str, str]
) -> None:
    """Template properties moto's CloudFormation ignores, applied as CloudFormation would: bucket
    versioning, notifications and CORS, and the SES sender identity."""
    s3 = session.client("s3")
    for logical, r in template["Resources"].items():
        props = r.get("Properties", {})
        if r["Type"] == "AWS::SES::EmailIdentity":
            session.client("sesv2").create_email_identity(EmailIdentity=props["EmailIdentity"])
        if r["Type"] != "AWS::S3::Bucket":
            continue
        bucket = resources[logical]
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        queues = [
            _queue_notification(session, resources, q)
            for q in props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        ]
        if queues:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queues}
            )
        rules = props.get("CorsConfiguration", {}).get("CorsRules", [])
        if rules:  # any origin: local pages are served from 127.0.0.1 on some port
            s3.put_bucket_cors(
                Bucket=bucket,
                CORSConfiguration={
                    "CORSRules": [
                        {
                            "AllowedMethods": c["AllowedMethods"],
                            "AllowedOrigins": ["*"],
                            "AllowedHeaders": c.get("AllowedHeaders", []),
                            "ExposeHeaders": c.get("ExposedHeaders", []),
                            "MaxAgeSeconds": c.get("MaxAge", 3000),
                        }
                        for c in rules
                    ]
                },
            )


def _queue_notification(
    session: boto3.session.Session, resources: dict[str, str], config: dict[str, Any]
) -> dict[str, Any]:
    queue_url = resources[config["Queue"]["Fn::GetAtt"][0]]
    attributes = session.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    entry: dict[str, Any] = {"QueueArn": attributes["Attributes"]["QueueArn"], "Events": [config["Event"]]}
    rules = config.get("Filter", {}).get("S3Key", {}).get("Rules")
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": [{"Name": x["Name"], "Value": x["Value"]} for x in rules]}}
    return entry


def function_names(template: dict[str, Any], resources: dict[str, str]) -> dict[str, str]:
    """Logical id -> deployed name of every Lambda function."""
    return {
        logical: resources[logical]
        for logical, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }
