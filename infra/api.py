"""The HTTP API: API Gateway REST routes to the functions that own them.

Patient routes carry the case access token, checked inside the function; staff routes go through
the Cognito authorizer, and the function checks the group and the assignment on every call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from .config import DeploymentConfig
from .functions import log_retention


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    step: str
    staff: bool


ROUTES = (
    Route("POST", "/cases", "intake", staff=False),
    Route("GET", "/cases/{case_id}", "intake", staff=False),
    Route("POST", "/cases/{case_id}/files", "intake", staff=False),
    Route("POST", "/cases/{case_id}/submit", "intake", staff=False),
    Route("DELETE", "/cases/{case_id}/files/{file_id}", "intake", staff=False),
    Route("POST", "/cases/{case_id}/files/{file_id}/parts", "intake", staff=False),
    Route("POST", "/cases/{case_id}/files/{file_id}/complete", "intake", staff=False),
    Route("POST", "/cases/{case_id}/files/{file_id}/abort", "intake", staff=False),
    Route("GET", "/cases/{case_id}/report", "deliver", staff=False),
    Route("POST", "/cases/{case_id}/report/link", "deliver", staff=False),
    Route("POST", "/cases/{case_id}/report/code", "deliver", staff=False),
    Route("GET", "/openapi.json", "intake", staff=False),
    Route("GET", "/ops/cases", "assign", staff=True),
    Route("GET", "/ops/cases/{case_id}", "assign", staff=True),
    Route("POST", "/ops/cases/{case_id}/reassign", "assign", staff=True),
    Route("POST", "/ops/cases/{case_id}/delivery/revoke", "deliver", staff=True),
    Route("POST", "/ops/cases/{case_id}/erase", "intake", staff=True),
    Route("POST", "/ops/cases/{case_id}/restart", "intake", staff=True),
    Route("GET", "/ops/radiologists", "assign", staff=True),
    Route("PUT", "/ops/radiologists/{radiologist_id}", "assign", staff=True),
    Route("GET", "/worklist", "assign", staff=True),
    Route("POST", "/readability", "assign", staff=True),
    Route("GET", "/assignments/{assignment_id}", "assign", staff=True),
    Route("POST", "/assignments/{assignment_id}/accept", "assign", staff=True),
    Route("POST", "/assignments/{assignment_id}/heartbeat", "assign", staff=True),
    Route("POST", "/assignments/{assignment_id}/decline", "assign", staff=True),
    Route("POST", "/assignments/{assignment_id}/report", "assign", staff=True),
    Route("POST", "/assignments/{assignment_id}/consensus", "assign", staff=True),
    Route("POST", "/assignments/{assignment_id}/cosign", "assign", staff=True),
    Route("POST", "/assignments/{assignment_id}/translation", "assign", staff=True),
)
"""Every route of the API and the function that owns it; the local stack serves the same table
as it finds it in the synthesized template."""


GATEWAY_ERRORS = (
    (apigw.ResponseType.UNAUTHORIZED, "401", "unauthorized", "Sign in to use this route."),
    (apigw.ResponseType.ACCESS_DENIED, "403", "forbidden", "You may not use this route."),
    (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "not_found", "There is no such route."),
    (apigw.ResponseType.THROTTLED, "429", "too_many_requests", "Too many requests; wait a moment and retry."),
    (
        apigw.ResponseType.DEFAULT_5_XX,
        "502",
        "internal_error",
        "Something went wrong on our side; please retry.",
    ),
)
"""API Gateway's own answers, in the same {"error", "message"} shape as the functions' errors."""


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        functions: dict[str, lambda_.IFunction],
        user_pool: cognito.IUserPool,
        key: kms.IKey,
        config: DeploymentConfig,
        origins: list[str],
    ) -> None:
        super().__init__(scope, id)
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention(config.log_retention_days), encryption_key=key
        )
        self.rest_api = apigw.RestApi(
            self,
            "Rest",
            description="Radiology second opinion API",
            cloud_watch_role=True,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            deploy_options=apigw.StageOptions(
                stage_name="v1",
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies are health data
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(
                    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                    '"method":"$context.httpMethod","resource":"$context.resourcePath",'
                    '"status":"$context.status","latency":"$context.responseLatency"}'
                ),
                throttling_rate_limit=50,
                throttling_burst_limit=100,
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=origins,
                allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            ),
        )
        for response_type, status, code, message in GATEWAY_ERRORS:
            self.rest_api.add_gateway_response(
                f"{code.title().replace('_', '')}Response",
                type=response_type,
                status_code=status,
                templates={"application/json": json.dumps({"error": code, "message": message})},
            )
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Staff", cognito_user_pools=[user_pool])
        validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=False, validate_request_parameters=True
        )
        integrations = {step: apigw.LambdaIntegration(fn) for step, fn in functions.items()}
        for route in ROUTES:
            resource = self.rest_api.root.resource_for_path(route.path)
            resource.add_method(
                route.method,
                integrations[route.step],
                request_validator=validator,
                **(
                    {"authorizer": authorizer, "authorization_type": apigw.AuthorizationType.COGNITO}
                    if route.staff
                    else {"authorization_type": apigw.AuthorizationType.NONE}
                ),
            )
        self._firewall(key, config)

    def _firewall(self, key: kms.IKey, config: DeploymentConfig) -> None:
        acl = wafv2.CfnWebACL(
            self,
            "Firewall",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name="SecondOpinionApi",
                sampled_requests_enabled=False,
            ),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="CommonRules",
                    priority=0,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name="AWSManagedRulesCommonRuleSet",
                            # File declarations and structured reports are larger than the rule's 8 KB.
                            rule_action_overrides=[
                                wafv2.CfnWebACL.RuleActionOverrideProperty(
                                    name="SizeRestrictions_BODY",
                                    action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                                )
                            ],
                        )
                    ),
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True,
                        metric_name="CommonRules",
                        sampled_requests_enabled=False,
                    ),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimit",
                    priority=1,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=1000, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True,
                        metric_name="RateLimit",
                        sampled_requests_enabled=False,
                    ),
                ),
            ],
        )
        # WAF only logs to groups whose name starts with aws-waf-logs-.
        waf_logs = logs.LogGroup(
            self,
            "FirewallLogs",
            log_group_name=f"aws-waf-logs-secondopinion-{config.env_name}",
            retention=log_retention(config.log_retention_days),
            encryption_key=key,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "FirewallLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[waf_logs.log_group_arn],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "FirewallAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )
