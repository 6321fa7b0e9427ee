"""Acknowledged cdk-nag findings: each names the resources it covers and says why.

Anything not listed here fails the synthesis, so a new finding cannot slip in unreviewed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_dynamodb as ddb
from constructs import IConstruct

from .api import ROUTES
from .functions import STEPS

if TYPE_CHECKING:
    from .stack import SecondOpinionStack

FUNCTION_ROLES = [f"Functions/{s.capitalize()}Role/DefaultPolicy" for s in STEPS]
FUNCTIONS = [f"Functions/{s.capitalize()}" for s in STEPS]
PATIENT_ROUTES = [f"Api/Rest/Default{r.path}/{r.method}" for r in ROUTES if not r.staff]
"""Routes that authorize with the case access token in the function (or are public)."""

ACKNOWLEDGED: list[tuple[str, list[str], str]] = [
    (
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]",
        ["Api/Rest/CloudWatchRole"],
        "API Gateway's account-level logging role uses the AWS managed push-to-CloudWatch policy, "
        "which AWS maintains for exactly this purpose.",
    ),
    (
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSBackupServiceRolePolicyForBackup]",
        ["Storage/Backups/Tables/Role"],
        "AWS Backup's service role uses the AWS managed backup policy, maintained by AWS for this role.",
    ),
    (
        "AwsSolutions::AwsSolutions-L1",
        FUNCTIONS,
        "Pinned to Python 3.13, the newest runtime the layer's wheels and the test suite are verified "
        "on; moving to a newer runtime is a deliberate, tested change.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy",
        [*FUNCTION_ROLES, "Workflow/Review/Role/DefaultPolicy", "AssignTaskResponse"],
        "Each policy is a standalone AWS::IAM::Policy attached to exactly one role created for one "
        "function or the state machine; it is least-privilege by construction and versioned with the code.",
    ),
    (
        "AwsSolutions::AwsSolutions-APIG2",
        ["Api/Rest"],
        "Request bodies are validated in the functions against the pydantic models that also generate "
        "the OpenAPI document, so the rules live in one place and errors name the field.",
    ),
    (
        "AwsSolutions::AwsSolutions-APIG4",
        PATIENT_ROUTES,
        "Patient routes carry the case access token (256 random bits, stored hashed), checked by the "
        "function on every call; patients have no Cognito account. /openapi.json is public by design.",
    ),
    (
        "AwsSolutions::AwsSolutions-COG4",
        PATIENT_ROUTES,
        "Patient routes authorize with the case access token inside the function, not a user pool.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-APIGWCacheEnabledAndEncrypted",
        ["Api/Rest/DeploymentStage.v1"],
        "Responses hold health data and per-case state; caching them would serve stale or other "
        "patients' data. Caching stays off.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-APIGWSSLEnabled",
        ["Api/Rest/DeploymentStage.v1"],
        "Backend client certificates secure HTTP integrations; every integration here is a Lambda "
        "proxy called by API Gateway inside AWS.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-LambdaDLQ",
        FUNCTIONS,
        "No function is invoked asynchronously: API Gateway and Step Functions call synchronously "
        "(Step Functions retries and catches), and validate reads an SQS queue with its own DLQ.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
        FUNCTIONS,
        "Reserved concurrency would fail deployment in accounts with the default low concurrency "
        "quota; load is bounded by API Gateway throttling, WAF rate limits and the queue's batch size.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-LambdaInsideVPC",
        FUNCTIONS,
        "The functions call only AWS APIs over TLS with IAM auth and hold no network-reachable "
        "listener; a VPC with interface endpoints adds cost without reducing exposure here.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled",
        ["Storage/AccessLogs", "Storage/Uploads", "Storage/Reports"],
        "Replication to another region would move health data out of Switzerland (nFADP); durability "
        "comes from S3's multi-AZ storage and versioning.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS",
        ["Storage/AccessLogs"],
        "S3 server access log delivery does not support SSE-KMS targets; the bucket uses SSE-S3 and "
        "holds request metadata only.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS",
        ["Portal/Site"],
        "The bucket holds the web pages (public code, no personal data), read by CloudFront through "
        "origin access control; SSE-S3 needs no key policy for CloudFront.",
    ),
    (
        "HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled",
        ["Portal/Site"],
        "The pages are rebuilt from the repository and redeployed by every cdk deploy.",
    ),
    (
        "AwsSolutions::AwsSolutions-CFR1",
        ["Portal/Cdn"],
        "Patients may ask for a second opinion from abroad; the API's WAF and the case access token "
        "protect the data, the pages themselves hold none.",
    ),
    (
        "AwsSolutions::AwsSolutions-CFR2",
        ["Portal/Cdn"],
        "The distribution serves static files only; every data call goes to the API, which has its "
        "own regional WAF (a CloudFront WAF would have to live in us-east-1).",
    ),
    (
        "AwsSolutions::AwsSolutions-CFR3",
        ["Portal/Cdn"],
        "Requests for the static pages carry no case data (case ids travel in the URL fragment, "
        "which browsers never send); the API logs every data call.",
    ),
    (
        "AwsSolutions::AwsSolutions-CFR4",
        ["Portal/Cdn"],
        "With the default cloudfront.net certificate CloudFront accepts TLS 1.0 and up; point a "
        "custom domain with an ACM certificate (portal_url) at the distribution to require TLS 1.2.",
    ),
]

DEPLOYMENT_HANDLER = (
    "CDK's own BucketDeployment handler: it runs only during cdk deploy to copy the built pages from "
    "the CDK assets bucket into the portal bucket; its permissions cover those two buckets only."
)
DEPLOYMENT_FINDINGS = [
    "AwsSolutions::AwsSolutions-L1",
    "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]",
    "HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy",
    "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
    "HIPAA.Security::HIPAA.Security-LambdaDLQ",
    "HIPAA.Security::HIPAA.Security-LambdaInsideVPC",
    *(
        f"AwsSolutions::AwsSolutions-IAM5[Action::{a}]"
        for a in ("s3:Abort*", "s3:DeleteObject*", "s3:GetObject*", "s3:GetBucket*", "s3:List*")
    ),
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
]


GRANT_WILDCARDS = (
    "Wildcards written by CDK grant helpers, each scoped to one resource: the variants of one KMS "
    "action on the data key, object actions under the cases/ prefix of one bucket, the indexes of "
    "one table, the versions of one function, the executions of one state machine, X-Ray and log "
    "actions that take no resource."
)


def _find(stack: Stack, path: str) -> IConstruct:
    target: IConstruct = stack
    for part in path.split("/"):
        target = target.node.find_child(part)
    return target


def _logical_id(construct: IConstruct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, CfnResource)
    return str(Stack.of(construct).resolve(Stack.of(construct).get_logical_id(resource)))


def _indexes(stack: Stack, table: ddb.ITable) -> str:
    """How a grant on a table's indexes reads: the stack's table by logical id, a table restored
    from point-in-time recovery (imported by name) by its ARN."""
    if isinstance(table.node.default_child, CfnResource):
        return f"<{_logical_id(table)}.Arn>/index/*"
    return f"arn:<AWS::Partition>:dynamodb:{stack.region}:<AWS::AccountId>:table/{table.table_name}/index/*"


def _wildcard_findings(stack: SecondOpinionStack) -> list[str]:
    """Every IAM5 finding id the grant helpers produce, built from the resources' logical ids."""
    storage, fn = stack.storage, stack.functions.by_step
    actions = [
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
        "s3:Abort*",
        "s3:GetBucket*",
        "s3:GetObject*",
        "s3:List*",
        "s3:DeleteObject*",
    ]
    resources = ["*"]
    resources += [f"<{_logical_id(fn[s])}.Arn>:*" for s in ("assign", "report", "deliver")]
    resources += [_indexes(stack, t) for t in (storage.cases, storage.assignments)]
    resources += [f"<{_logical_id(b)}.Arn>/cases/*" for b in (storage.uploads, storage.reports)]
    # The executions of the review machine (grant_execution): intake stops the review of a case it erases.
    machine = _logical_id(stack.workflow.state_machine)
    resources.append(
        f"arn:<AWS::Partition>:states:{stack.region}:<AWS::AccountId>:execution:"
        f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine}"}}]}}]}}:*'
    )
    return [f"AwsSolutions::AwsSolutions-IAM5[Action::{a}]" for a in actions] + [
        f"AwsSolutions::AwsSolutions-IAM5[Resource::{r}]" for r in resources
    ]


def _deployment_handler(stack: SecondOpinionStack) -> IConstruct:
    """The singleton function CDK adds for BucketDeployment (its id carries a hash)."""
    (handler,) = [c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]
    return handler


def acknowledge(stack: SecondOpinionStack) -> None:
    """Apply every acknowledgement to the resources it names; a missing path is an error."""
    site = _logical_id(stack.portal.bucket)
    Validations.of(_deployment_handler(stack)).acknowledge(
        *(
            Acknowledgment(id=finding, reason=DEPLOYMENT_HANDLER)
            for finding in [
                *DEPLOYMENT_FINDINGS,
                f"AwsSolutions::AwsSolutions-IAM5[Resource::<{site}.Arn>/*]",
                f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-"
                f"<AWS::AccountId>-{stack.region}/*]",
            ]
        )
    )
    for rule, paths, reason in ACKNOWLEDGED:
        for path in paths:
            Validations.of(_find(stack, path)).acknowledge(Acknowledgment(id=rule, reason=reason))
    translate = stack.node.try_find_child("AssignTranslate")
    if translate is not None:  # only where the operator enabled machine translation
        Validations.of(translate).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="translate:TranslateText takes no resource ARN unless custom terminology is "
                "used; the statement is limited to the acknowledged translate_region by condition.",
            ),
            Acknowledgment(
                id="HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy",
                reason="A standalone AWS::IAM::Policy attached to the assign function's role only, "
                "created only when the operator enables machine translation.",
            ),
        )
    for path in [*FUNCTION_ROLES, "Workflow/Review/Role/DefaultPolicy"]:
        Validations.of(_find(stack, path)).acknowledge(
            *(Acknowledgment(id=finding, reason=GRANT_WILDCARDS) for finding in _wildcard_findings(stack))
        )
