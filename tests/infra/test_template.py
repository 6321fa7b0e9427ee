"""What the synthesized template promises: encryption, no public data, least privilege, a review
workflow that survives timeouts and failures, an authenticated API and alarms that reach ops."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from benchmarks.layer_import import lambda_python
from infra.api import ROUTES, Route
from infra.config import from_context
from infra.functions import LAYER_DIR, SIZES, STEPS
from local import cloud
from tests.infra.cfn import (
    allows,
    as_list,
    function_role,
    of_type,
    policy_statements,
    ref_id,
    referenced_ids,
    state_machine_definition,
    statements_by_role,
)
from tests.infra.synthesis import Synthesized

S3_WRITES = (
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:AbortMultipartUpload",
    "s3:RestoreObject",
)
TASK_TOKEN_ACTIONS = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
STEP_TASKS = (
    "Assign",
    "WaitForAcceptance",
    "WaitForReport",
    "ReleaseReview",
    "Report",
    "Deliver",
    "CompareReads",
    "WaitForAgreement",
    "WaitForCosign",
    "AssignTranslation",
    "WaitForTranslation",
    "ReleaseTranslation",
)
"""The workflow's Task states that do the pipeline's work; the others are escalations to ops."""


def key_id(dev: Synthesized) -> str:
    return dev.logical_id(dev.stack.storage.key)


def function_id(dev: Synthesized, step: str) -> str:
    return dev.logical_id(dev.stack.functions.by_step[step])


def role_statements(dev: Synthesized, step: str) -> list[dict[str, Any]]:
    role = function_role(dev.resources, function_id(dev, step))
    return statements_by_role(dev.resources).get(role, [])


def key_arn(dev: Synthesized) -> dict[str, Any]:
    return {"Fn::GetAtt": [key_id(dev), "Arn"]}


# --- Storage -------------------------------------------------------------------------------------


def test_the_data_key_rotates(dev: Synthesized) -> None:
    # Given the synthesized stack / When its KMS keys are read / Then each rotates yearly
    dev.template.all_resources_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_no_bucket_can_be_made_public(dev: Synthesized) -> None:
    dev.template.all_resources_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
        },
    )


def test_every_bucket_is_versioned(dev: Synthesized) -> None:
    dev.template.all_resources_properties(
        "AWS::S3::Bucket", {"VersioningConfiguration": {"Status": "Enabled"}}
    )


def test_every_data_bucket_expires_objects_by_lifecycle(dev: Synthesized) -> None:
    # Given every bucket that holds case data or logs (the portal's holds the pages, which stay)
    buckets = of_type(dev.resources, "AWS::S3::Bucket")
    for name, bucket in buckets.items():
        # When its lifecycle rules are read
        rules = bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
        # Then at least one enabled rule expires objects; replaced pages expire on the portal
        key = "NoncurrentVersionExpiration" if name.startswith("PortalSite") else "ExpirationInDays"
        assert any(r["Status"] == "Enabled" and key in r for r in rules), name
    assert any(name.startswith("PortalSite") for name in buckets)


@pytest.mark.parametrize("bucket", ["uploads", "reports"])
def test_case_data_buckets_encrypt_with_the_customer_key(dev: Synthesized, bucket: str) -> None:
    # Given the bucket that holds images or reports
    bucket_id = dev.logical_id(getattr(dev.stack.storage, bucket))
    # When its default encryption is read
    encryption = dev.resources[bucket_id]["Properties"]["BucketEncryption"]
    # Then objects are encrypted with the data key (SSE-KMS), not an AWS-owned key
    (rule,) = encryption["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn(dev),
    }


def test_every_bucket_refuses_requests_without_tls(dev: Synthesized) -> None:
    # Given the bucket policies, by the bucket they protect
    policies = {
        ref_id(p["Properties"]["Bucket"]): p["Properties"]["PolicyDocument"]
        for p in of_type(dev.resources, "AWS::S3::BucketPolicy").values()
    }
    for bucket in of_type(dev.resources, "AWS::S3::Bucket"):
        # When the bucket's policy is read
        statements = as_list(policies[bucket]["Statement"])
        # Then it denies every request made over plain HTTP
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ), bucket


def test_browsers_can_read_the_etag_of_an_upload(dev: Synthesized) -> None:
    # Given the uploads bucket / When its CORS rules are read / Then the ETag header is exposed
    uploads = dev.resources[dev.logical_id(dev.stack.storage.uploads)]
    rules = uploads["Properties"]["CorsConfiguration"]["CorsRules"]
    assert any("ETag" in rule.get("ExposedHeaders", []) for rule in rules)


def test_uploads_under_cases_notify_the_upload_queue_from_the_bucket_itself(dev: Synthesized) -> None:
    # Given the uploads bucket and the upload queue
    uploads = dev.resources[dev.logical_id(dev.stack.storage.uploads)]
    queue = dev.logical_id(dev.stack.storage.upload_events)
    # When the bucket's notification configuration is read
    (notification,) = uploads["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    # Then every created object under cases/ goes to the queue
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "cases/"}]


def test_the_only_custom_resource_is_the_pages_deployment(dev: Synthesized) -> None:
    # Given every resource / Then the only Custom:: resource (a Lambda that CloudFormation calls,
    # which the local stack cannot run) is CDK's copy of the pages, which the local stack leaves
    # out because its portal server serves build/web itself
    custom = {r["Type"] for r in dev.resources.values() if r["Type"].startswith("Custom::")}
    assert custom == {"Custom::CDKBucketDeployment"}
    local = cloud.local_template(dev.template.to_json())
    assert not [
        r for r in local["Resources"].values() if r["Type"].startswith(("Custom::", "AWS::CloudFront::"))
    ]


def test_every_table_is_encrypted_with_the_customer_key(dev: Synthesized) -> None:
    dev.template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn(dev)}},
    )


def test_every_table_has_point_in_time_recovery(dev: Synthesized) -> None:
    dev.template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
    )


def test_every_queue_is_encrypted_with_the_customer_key(dev: Synthesized) -> None:
    dev.template.all_resources_properties("AWS::SQS::Queue", {"KmsMasterKeyId": key_arn(dev)})


def test_upload_events_that_keep_failing_go_to_the_dead_letter_queue(dev: Synthesized) -> None:
    # Given the upload queue / When its redrive policy is read / Then it names the DLQ
    queue = dev.resources[dev.logical_id(dev.stack.storage.upload_events)]
    redrive = queue["Properties"]["RedrivePolicy"]
    assert ref_id(redrive["deadLetterTargetArn"]) == dev.logical_id(dev.stack.storage.upload_dead_letters)
    assert redrive["maxReceiveCount"] >= 1


def test_an_upload_event_stays_invisible_while_validate_may_still_run(dev: Synthesized) -> None:
    # Given the upload queue and the validate function that consumes it
    queue = dev.resources[dev.logical_id(dev.stack.storage.upload_events)]
    validate = dev.resources[function_id(dev, "validate")]
    # Then a message is not handed to a second invocation while the first may still run
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * validate["Properties"]["Timeout"]


# --- Functions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("step", STEPS)
def test_each_function_runs_python_3_13_on_arm64_with_json_logs_and_tracing(
    dev: Synthesized, step: str
) -> None:
    # Given the step's function / When its properties are read
    props = dev.resources[function_id(dev, step)]["Properties"]
    # Then the factory's settings hold
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == "python3.13"
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("step", STEPS)
def test_each_function_has_its_own_sizing(dev: Synthesized, step: str) -> None:
    props = dev.resources[function_id(dev, step)]["Properties"]
    assert (props["MemorySize"], props["Timeout"]) == SIZES[step]


@pytest.mark.parametrize("step", STEPS)
def test_each_function_imports_the_shared_layer(dev: Synthesized, step: str) -> None:
    # Given the one shared layer / When the function's layers are read / Then it is among them
    layer = dev.logical_id(dev.stack.functions.layer)
    layers = dev.resources[function_id(dev, step)]["Properties"]["Layers"]
    assert {"Ref": layer} in layers


def test_the_layer_carries_bytecode_for_lambdas_python_used_without_checking_file_times(
    dev: Synthesized,
) -> None:
    # Given the layer as `make layer` built it, on a machine with Lambda's Python (3.13)
    if lambda_python() is None:
        pytest.skip("no Python 3.13 on this machine: the layer is built without bytecode (the build warns)")
    runtimes = {dev.resources[function_id(dev, s)]["Properties"]["Runtime"] for s in STEPS}
    assert runtimes == {"python3.13"}  # the bytecode is for this runtime's interpreter only
    # When its modules' bytecode is read
    for module in ("pydicom/__init__", "aws_lambda_powertools/logging/logger", "secondopinion/models"):
        source = LAYER_DIR / "python" / f"{module}.py"
        cached = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        # Then each is there, hash-based and unchecked (flags 0b01): Lambda uses it as it is
        assert cached.is_file(), cached
        assert int.from_bytes(cached.read_bytes()[4:8], "little") == 0b01


@pytest.mark.parametrize("step", STEPS)
def test_each_function_logs_to_its_own_encrypted_group_with_retention(dev: Synthesized, step: str) -> None:
    # Given the function's log group
    log_group = ref_id(dev.resources[function_id(dev, step)]["Properties"]["LoggingConfig"]["LogGroup"])
    assert log_group is not None
    group = dev.resources[log_group]
    # Then no other function writes there, it expires and it is encrypted with the data key
    others = {
        ref_id(dev.resources[function_id(dev, s)]["Properties"]["LoggingConfig"]["LogGroup"])
        for s in STEPS
        if s != step
    }
    assert log_group not in others
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] > 0
    assert group["Properties"]["KmsKeyId"] == key_arn(dev)


# --- IAM -----------------------------------------------------------------------------------------


def test_intake_may_start_a_review(dev: Synthesized) -> None:
    # Given the state machine / When intake's role is read / Then it may start executions of it
    machine = dev.logical_id(dev.stack.workflow.state_machine)
    assert allows(role_statements(dev, "intake"), "states:StartExecution", machine)


@pytest.mark.parametrize("action", TASK_TOKEN_ACTIONS)
def test_only_assign_may_answer_a_task_token(dev: Synthesized, action: str) -> None:
    # Given every role's statements
    machine = dev.logical_id(dev.stack.workflow.state_machine)
    assign_role = function_role(dev.resources, function_id(dev, "assign"))
    # When the roles allowed to answer the waiting review are collected
    answering = {
        role
        for role, statements in statements_by_role(dev.resources).items()
        if allows(statements, action, machine, any_resource_counts=True)
    }
    # Then only assign's role may
    assert answering == {assign_role}


def test_no_statement_allows_every_action_or_every_s3_or_dynamodb_action(dev: Synthesized) -> None:
    # Given every policy document in the template (IAM, key, bucket, queue and topic policies)
    too_broad = {"*", "s3:*", "dynamodb:*"}
    # When the actions of its Allow statements are read
    granted = [
        action
        for statement in policy_statements(dev.resources)
        if statement.get("Effect") == "Allow"
        for action in as_list(statement.get("Action", []))
    ]
    # Then none grants a whole service (or all of AWS)
    assert too_broad.isdisjoint(granted)


def test_validate_cannot_write_the_reports_bucket(dev: Synthesized) -> None:
    # Given validate's role and the reports bucket
    statements = role_statements(dev, "validate")
    reports = dev.logical_id(dev.stack.storage.reports)
    # When each object write is checked / Then none is allowed, not even through Resource "*"
    writes = [a for a in S3_WRITES if allows(statements, a, reports, any_resource_counts=True)]
    assert writes == []


def test_deliver_may_send_email_from_the_sender_identity(dev: Synthesized) -> None:
    sender = next(iter(of_type(dev.resources, "AWS::SES::EmailIdentity")))
    assert allows(role_statements(dev, "deliver"), "ses:SendEmail", sender)


# --- Workflow ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def machine(dev: Synthesized) -> dict[str, Any]:
    return dev.resources[dev.logical_id(dev.stack.workflow.state_machine)]


@pytest.fixture(scope="module")
def states(machine: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(state_machine_definition(machine)["States"])


def is_escalation(state: dict[str, Any]) -> bool:
    return (
        state["Type"] == "Task" and state.get("Parameters", {}).get("Payload", {}).get("action") == "escalate"
    )


def catcher(state: dict[str, Any], error: str) -> dict[str, Any]:
    caught = [c for c in state.get("Catch", []) if error in c["ErrorEquals"]]
    assert caught, f"nothing catches {error}"
    return caught[0]


def reaches_fail(states: dict[str, dict[str, Any]], start: str) -> bool:
    """Whether following Next from `start` ends in a Fail state."""
    seen: set[str] = set()
    name: str | None = start
    while name is not None and name not in seen:
        seen.add(name)
        if states[name]["Type"] == "Fail":
            return True
        name = states[name].get("Next")
    return False


@pytest.mark.parametrize("wait", ["WaitForAcceptance", "WaitForReport"])
def test_the_offer_and_the_read_wait_on_a_radiologist_task_token(
    states: dict[str, dict[str, Any]], wait: str
) -> None:
    assert states[wait]["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")


def test_the_acceptance_window_read_time_and_heartbeat_come_from_the_execution(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given the two waits / Then every duration is read from the execution (SLA, compressed time):
    # the acceptance window from the input, the read's time from what the accept computed
    assert states["WaitForAcceptance"]["TimeoutSecondsPath"] == "$.timeouts.offer_seconds"
    assert states["WaitForReport"]["TimeoutSecondsPath"] == "$.accepted.read_seconds"
    assert states["WaitForReport"]["HeartbeatSecondsPath"] == "$.timeouts.heartbeat_seconds"
    assert states["WaitForAcceptance"]["Next"] == "WaitForReport"


@pytest.mark.parametrize("wait", ["WaitForAcceptance", "WaitForReport"])
def test_a_timed_out_silent_or_declined_review_is_released(
    states: dict[str, dict[str, Any]], wait: str
) -> None:
    # Given a wait on the radiologist / When its catcher for a timeout is read
    caught = catcher(states[wait], "States.Timeout")
    # Then one catcher takes a timeout, a missed heartbeat (AWS) and a decline, and releases the case
    assert {"States.Timeout", "States.HeartbeatTimeout", "Review.Declined"} <= set(caught["ErrorEquals"])
    assert caught["Next"] == "ReleaseReview"


def test_exhausted_attempts_escalate_and_assign_again(states: dict[str, dict[str, Any]]) -> None:
    # Given the release, which counts the attempt
    assert states["ReleaseReview"]["Next"] == "CountAttempt"
    choice = states[states["CountAttempt"]["Next"]]
    assert choice["Type"] == "Choice"
    # When the attempt reaches the maximum
    (rule,) = [c for c in choice["Choices"] if c.get("Variable") == "$.attempt"]
    assert "$.max_attempts" in [v for k, v in rule.items() if k.endswith("Path")]
    # Then ops is told and the case is offered again; below the maximum it is offered again directly
    assert is_escalation(states[rule["Next"]])
    assert states[rule["Next"]]["Next"] == "Assign"
    assert choice["Default"] == "Assign"


def test_no_radiologist_available_waits_in_the_queue_and_assigns_again(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given Assign finds nobody
    name = catcher(states["Assign"], "NoRadiologistAvailable")["Next"]
    # When the states after the catcher are followed to the first Wait
    while states[name]["Type"] != "Wait":
        name = states[name]["Next"]
    # Then the wait comes from the execution input and leads back to Assign
    assert states[name]["SecondsPath"].startswith("$.")
    assert states[name]["Next"] == "Assign"


def test_every_task_is_a_pipeline_step_or_an_escalation(states: dict[str, dict[str, Any]]) -> None:
    # Keeps the parametrized step tests below complete when a Task is added.
    tasks = {name for name, s in states.items() if s["Type"] == "Task"}
    assert tasks == set(STEP_TASKS) | {name for name, s in states.items() if is_escalation(s)}


@pytest.mark.parametrize("task", STEP_TASKS)
def test_each_pipeline_step_retries_transient_errors(states: dict[str, dict[str, Any]], task: str) -> None:
    # Given the step's retriers
    retries = states[task].get("Retry", [])
    retried = {error for r in retries for error in r["ErrorEquals"]}
    # Then it tries again on some errors, but never on all of them (domain errors are final)
    assert retries and all(r["MaxAttempts"] >= 1 for r in retries)
    assert "States.ALL" not in retried


@pytest.mark.parametrize("task", STEP_TASKS)
def test_each_pipeline_step_escalates_any_other_failure_to_a_fail_state(
    states: dict[str, dict[str, Any]], task: str
) -> None:
    # Given the step's catch-all
    caught = catcher(states[task], "States.ALL")
    # Then ops is told and the execution ends in a Fail state
    assert is_escalation(states[caught["Next"]])
    assert reaches_fail(states, caught["Next"])


def test_each_escalation_retries_transient_errors(states: dict[str, dict[str, Any]]) -> None:
    escalations = {name: s for name, s in states.items() if is_escalation(s)}
    assert escalations
    assert all(s.get("Retry") for s in escalations.values()), sorted(escalations)


def test_the_review_is_a_standard_machine_logging_without_execution_data(machine: dict[str, Any]) -> None:
    # Given the state machine / Then its history is durable, every event is logged but no health
    # data reaches the logs, and X-Ray traces it
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert props["TracingConfiguration"] == {"Enabled": True}


# --- API -----------------------------------------------------------------------------------------


def api_method(dev: Synthesized, route: Route) -> dict[str, Any]:
    """The route's AWS::ApiGateway::Method, its path rebuilt from the REST API's resource tree."""
    resources = dev.resources

    def path(resource: Any) -> str:
        if "Fn::GetAtt" in resource:  # the API's RootResourceId
            return ""
        props = resources[ref_id(resource) or ""]["Properties"]
        return f"{path(props['ParentId'])}/{props['PathPart']}"

    methods = {
        (m["Properties"]["HttpMethod"], path(m["Properties"]["ResourceId"]) or "/"): m["Properties"]
        for m in of_type(resources, "AWS::ApiGateway::Method").values()
    }
    assert (route.method, route.path) in methods, f"{route.method} {route.path} is not in the template"
    return methods[(route.method, route.path)]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_route_reaches_the_function_that_owns_it(dev: Synthesized, route: Route) -> None:
    # Given the route's method / When its integration is read
    integration = api_method(dev, route)["Integration"]
    # Then API Gateway proxies the request to the step's function
    assert integration["Type"] == "AWS_PROXY"
    assert function_id(dev, route.step) in referenced_ids(integration["Uri"])


@pytest.mark.parametrize("route", [r for r in ROUTES if r.staff], ids=lambda r: f"{r.method} {r.path}")
def test_staff_routes_need_a_token_from_the_staff_pool(dev: Synthesized, route: Route) -> None:
    # Given a staff route's method
    method = api_method(dev, route)
    # Then API Gateway checks a Cognito token from the staff user pool before the function runs
    (pool,) = of_type(dev.resources, "AWS::Cognito::UserPool")
    authorizer = dev.resources[ref_id(method["AuthorizerId"]) or ""]["Properties"]
    assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert referenced_ids(authorizer["ProviderARNs"]) == {pool}


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.staff], ids=lambda r: f"{r.method} {r.path}")
def test_patient_routes_leave_authorization_to_the_function(dev: Synthesized, route: Route) -> None:
    # Given a patient route / Then API Gateway lets it through: the function checks the case token
    assert api_method(dev, route)["AuthorizationType"] == "NONE"


def test_the_stage_traces_and_logs_access_without_request_bodies(dev: Synthesized) -> None:
    # Given the API's only stage
    (stage,) = of_type(dev.resources, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    # Then it traces, writes access logs to a log group and never logs bodies (health data)
    access_logs = ref_id(props["AccessLogSetting"]["DestinationArn"]) or ""
    assert props["TracingEnabled"] is True
    assert dev.resources[access_logs]["Type"] == "AWS::Logs::LogGroup"
    assert props["MethodSettings"]
    assert all(s["DataTraceEnabled"] is False for s in props["MethodSettings"])


def test_a_web_acl_guards_the_stage(dev: Synthesized) -> None:
    # Given the stage / When the WAF associations are read / Then a web ACL is attached to it
    (stage,) = of_type(dev.resources, "AWS::ApiGateway::Stage")
    guarded = [
        a["Properties"]
        for a in of_type(dev.resources, "AWS::WAFv2::WebACLAssociation").values()
        if stage in referenced_ids(a["Properties"]["ResourceArn"])
    ]
    assert len(guarded) == 1
    assert dev.resources[ref_id(guarded[0]["WebACLArn"]) or ""]["Type"] == "AWS::WAFv2::WebACL"


# --- Cognito -------------------------------------------------------------------------------------


def test_staff_sign_in_requires_mfa(dev: Synthesized) -> None:
    dev.template.all_resources_properties("AWS::Cognito::UserPool", {"MfaConfiguration": "ON"})


def test_staff_cannot_sign_themselves_up(dev: Synthesized) -> None:
    dev.template.all_resources_properties(
        "AWS::Cognito::UserPool", {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}}
    )


def test_staff_passwords_have_at_least_12_characters(dev: Synthesized) -> None:
    for pool in of_type(dev.resources, "AWS::Cognito::UserPool").values():
        assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_the_radiologists_and_ops_groups_exist_in_the_staff_pool(dev: Synthesized) -> None:
    (pool,) = of_type(dev.resources, "AWS::Cognito::UserPool")
    groups = {
        g["Properties"]["GroupName"]
        for g in of_type(dev.resources, "AWS::Cognito::UserPoolGroup").values()
        if ref_id(g["Properties"]["UserPoolId"]) == pool
    }
    assert {"radiologists", "ops"} <= groups


# --- Monitoring ----------------------------------------------------------------------------------


def alarms_on(dev: Synthesized, metric: str, watched: str) -> list[dict[str, Any]]:
    """The alarms on `metric` whose dimensions reference the `watched` resource."""
    return [
        a["Properties"]
        for a in of_type(dev.resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric
        and watched in referenced_ids(a["Properties"].get("Dimensions", []))
    ]


@pytest.mark.parametrize("step", STEPS)
def test_each_function_alarms_on_errors(dev: Synthesized, step: str) -> None:
    assert alarms_on(dev, "Errors", function_id(dev, step))


@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut"])
def test_failed_and_timed_out_reviews_alarm(dev: Synthesized, metric: str) -> None:
    assert alarms_on(dev, metric, dev.logical_id(dev.stack.workflow.state_machine))


def test_dead_letters_alarm(dev: Synthesized) -> None:
    dlq = dev.logical_id(dev.stack.storage.upload_dead_letters)
    assert alarms_on(dev, "ApproximateNumberOfMessagesVisible", dlq)


def test_every_alarm_notifies_the_ops_topic(dev: Synthesized) -> None:
    # Given the one ops topic / Then every alarm publishes to it
    (topic,) = of_type(dev.resources, "AWS::SNS::Topic")
    dev.template.all_resources_properties(
        "AWS::CloudWatch::Alarm", {"AlarmActions": Match.array_with([{"Ref": topic}])}
    )


def test_the_ops_topic_is_encrypted_with_the_customer_key(dev: Synthesized) -> None:
    dev.template.all_resources_properties("AWS::SNS::Topic", {"KmsMasterKeyId": key_arn(dev)})


# --- Environments --------------------------------------------------------------------------------

KEPT = ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::KMS::Key")


@pytest.mark.parametrize("type_name", KEPT)
def test_production_keeps_data_when_the_stack_goes(prod: Synthesized, type_name: str) -> None:
    # Given each bucket, table or key of a production stack
    for name, resource in of_type(prod.resources, type_name).items():
        # Then neither deleting the stack nor replacing the resource deletes it
        policies = (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        assert policies == ("Retain", "Retain"), name


def test_production_tables_refuse_deletion(prod: Synthesized) -> None:
    prod.template.all_resources_properties("AWS::DynamoDB::Table", {"DeletionProtectionEnabled": True})


@pytest.mark.parametrize("type_name", KEPT)
def test_development_removes_data_with_the_stack(dev: Synthesized, type_name: str) -> None:
    for name, resource in of_type(dev.resources, type_name).items():
        assert resource.get("DeletionPolicy") == "Delete", name


def test_development_tables_can_be_deleted(dev: Synthesized) -> None:
    dev.template.all_resources_properties("AWS::DynamoDB::Table", {"DeletionProtectionEnabled": False})


# --- Configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"env_name": "Prod!"}, "env_name"),
        ({"sender_email": "not-an-email"}, "sender_email"),
        ({"env-name": "prod"}, "env-name"),
    ],
    ids=["bad-env-name", "bad-sender-email", "misspelt-key"],
)
def test_a_configuration_mistake_stops_the_synth_and_names_the_key(raw: dict[str, Any], key: str) -> None:
    # Given a context with one mistake / When it is validated / Then the synth stops naming the key
    with pytest.raises(SystemExit) as stopped:
        from_context(raw)
    assert key in str(stopped.value.code)
