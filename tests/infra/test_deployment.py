"""What an operator sets: several environments from one app, every setting validated at synth with
an error naming it, and the settings reaching the functions, the alarms and the outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import app as cdk_app
from infra.config import from_context
from tests.infra.cfn import as_list, function_role, of_type, statements_by_role
from tests.infra.synthesis import ROOT, Synthesized, operator_context, synthesize

PROD = {"sender_email": "reports@radiologie-beispiel.ch", "ops_emails": ["ops@radiologie-beispiel.ch"]}


def environment_of(synthesized: Synthesized, step: str) -> dict[str, Any]:
    function = synthesized.resources[synthesized.logical_id(synthesized.stack.functions.by_step[step])]
    return dict(function["Properties"]["Environment"]["Variables"])


def stopped(raw: Any, env: str | None = None) -> str:
    """The message a synth stops with for this context."""
    with pytest.raises(SystemExit) as stop:
        from_context(raw, env)
    return str(stop.value.code)


# --- Several environments from one context ------------------------------------------------------


def test_an_environment_takes_the_shared_settings_under_its_own() -> None:
    # Given a shared region and sender, and a prod environment with its own sender
    raw = {
        "region": "eu-central-1",
        "sender_email": "dev@radiologie-beispiel.ch",
        "environments": {"dev": {}, "prod": PROD},
    }

    # When each environment is chosen
    dev, prod = from_context(raw, "dev"), from_context(raw, "prod")

    # Then both share the region, each is named by its key, and prod's own sender wins
    assert (dev.region, prod.region) == ("eu-central-1", "eu-central-1")
    assert (dev.env_name, prod.env_name) == ("dev", "prod")
    assert (str(dev.sender_email), str(prod.sender_email)) == (
        "dev@radiologie-beispiel.ch",
        "reports@radiologie-beispiel.ch",
    )


def test_a_single_environment_needs_no_choice() -> None:
    assert from_context({"environments": {"staging": {"sla_hours_standard": 48}}}).env_name == "staging"


def test_several_environments_need_a_choice_and_the_error_lists_them() -> None:
    message = stopped({"environments": {"dev": {}, "prod": PROD}})
    assert "-c env=NAME" in message and "dev, prod" in message


def test_an_unknown_environment_is_refused_with_the_known_ones() -> None:
    message = stopped({"environments": {"dev": {}}}, "prod")
    assert "no environment 'prod'" in message and "dev" in message


def test_an_environment_cannot_rename_itself() -> None:
    assert "environments.dev.env_name" in stopped({"environments": {"dev": {"env_name": "prod"}}}, "dev")


def test_a_mistake_names_the_environment_and_the_key() -> None:
    message = stopped({"environments": {"dev": {}, "prod": {**PROD, "max_attempts": 0}}}, "prod")
    assert "secondopinion.environments.prod" in message and "max_attempts" in message


def test_the_single_object_form_still_describes_one_environment() -> None:
    # Given the earlier form, one object with env_name / Then it is read as that environment
    config = from_context({"env_name": "prod", **PROD})
    assert config.env_name == "prod" and config.is_production


def test_choosing_another_environment_than_the_single_object_describes_is_refused() -> None:
    assert "not 'prod'" in stopped({"env_name": "dev"}, "prod")


def test_the_committed_cdk_json_describes_environments_and_synthesizes_dev_by_default() -> None:
    context = operator_context()
    assert from_context(context["secondopinion"]).env_name == "dev"


def test_the_app_entry_point_refuses_an_environment_cdk_json_lacks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given the repository's cdk.json, run as `make synth ENV_NAME=staging` runs it
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CDK_CONTEXT_JSON", raising=False)
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path))

    # When / Then the synth stops before building anything, naming the environments there are
    with pytest.raises(SystemExit) as stop:
        cdk_app.main(["-c", "env=staging"])
    assert "no environment 'staging' (there are: dev)" in str(stop.value.code)


# --- Each setting validated ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"region": "Zurich"}, "region"),
        ({"ops_emails": ["not-an-address"]}, "ops_emails"),
        ({"cognito_domain": "Second Opinion"}, "cognito_domain"),
        ({"acceptance_hours_standard": 0}, "acceptance_hours_standard"),
        ({"acceptance_hours_expedited": 20}, "acceptance_hours_expedited"),
        ({"review_hours_standard": 70}, "review_hours_standard"),
        ({"heartbeat_hours_expedited": 9}, "heartbeat_hours_expedited"),
        ({"sla_hours_expedited": 96}, "sla_hours_expedited"),
        ({"sla_at_risk_fraction": 1}, "sla_at_risk_fraction"),
        ({"max_attempts": 11}, "max_attempts"),
        ({"upload_retention_days": 0}, "upload_retention_days"),
        ({"abandoned_case_days": 0}, "abandoned_case_days"),
        ({"delivery_days": 400, "report_retention_days": 365}, "delivery_days"),
        ({"download_link_seconds": 5}, "download_link_seconds"),
        ({"min_part_mib": 64, "multipart_threshold_mib": 32}, "min_part_mib"),
        ({"restored_tables": {"patients": "x-restored"}}, "restored_tables"),
        ({"ops_email": "a@radiologie-beispiel.ch", "ops_emails": []}, "ops_emails"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else None,
)
def test_each_setting_out_of_its_bounds_stops_the_synth_naming_it(raw: dict[str, Any], key: str) -> None:
    assert key in stopped({"environments": {"dev": raw}})


def test_the_tiers_windows_must_fit_their_sla_and_the_error_gives_the_figures() -> None:
    message = stopped({"environments": {"dev": {"acceptance_hours_standard": 50}}})
    assert "acceptance_hours_standard + review_hours_standard (50 + 24 h)" in message
    assert "sla_hours_standard (72 h)" in message


def test_one_ops_email_is_read_as_a_list_of_one() -> None:
    config = from_context({"environments": {"dev": {"ops_email": "ops@radiologie-beispiel.ch"}}})
    assert config.ops_emails == ("ops@radiologie-beispiel.ch",)


def test_production_needs_someone_to_alarm() -> None:
    message = stopped({"environments": {"prod": {"sender_email": "reports@radiologie-beispiel.ch"}}})
    assert "ops_emails" in message and "production" in message


@pytest.mark.parametrize("key", ["sender_email", "ops_emails"])
def test_production_refuses_placeholder_addresses(key: str) -> None:
    settings: dict[str, Any] = {**PROD, key: "someone@example.org"}
    if key == "ops_emails":
        settings[key] = ["someone@mail.example.org"]
    assert f"{key} someone@" in stopped({"environments": {"prod": settings}})


def test_production_is_a_setting_as_well_as_a_name() -> None:
    # Given an environment named otherwise that says it is production, and a prod one that is not
    live = from_context({"environments": {"live": {**PROD, "production": True}}})
    trial = from_context({"environments": {"prod-trial": {"production": False}}})

    # Then it is the setting that decides
    assert (live.is_production, trial.is_production) == (True, False)


# --- The settings reach the stack ------------------------------------------------------------------


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """An environment with its own tiers, thresholds and contacts, and a restored cases table."""
    context = operator_context(
        "staging",
        acceptance_hours_standard=2,
        acceptance_hours_expedited=0.5,
        heartbeat_hours_standard=3,
        heartbeat_hours_expedited=1,
        sla_at_risk_fraction=0.6,
        max_attempts=4,
        abandoned_case_days=14,
        ops_emails=["ops@radiologie-beispiel.ch", "oncall@radiologie-beispiel.ch"],
        restored_tables={"cases": "SecondOpinion-staging-cases-restored"},
    )
    return synthesize(context, tmp_path_factory.mktemp("cdk-configured"))


def test_the_environment_names_the_stack(configured: Synthesized) -> None:
    assert configured.stack.stack_name == "SecondOpinion-staging"


def test_the_tiers_windows_and_attempts_reach_intake(configured: Synthesized) -> None:
    environment = environment_of(configured, "intake")
    hours = {
        k: float(v) for k, v in environment.items() if k.endswith(("_HOURS_STANDARD", "_HOURS_EXPEDITED"))
    }
    assert hours == {
        "SLA_HOURS_STANDARD": 72,
        "SLA_HOURS_EXPEDITED": 24,
        "ACCEPTANCE_HOURS_STANDARD": 2,
        "ACCEPTANCE_HOURS_EXPEDITED": 0.5,
        "REVIEW_HOURS_STANDARD": 24,
        "REVIEW_HOURS_EXPEDITED": 8,
        "HEARTBEAT_HOURS_STANDARD": 3,
        "HEARTBEAT_HOURS_EXPEDITED": 1,
    }
    assert environment["MAX_ATTEMPTS"] == "4"


def test_a_daily_schedule_erases_cases_not_submitted_within_the_configured_days(
    configured: Synthesized,
) -> None:
    assert environment_of(configured, "intake")["ABANDONED_CASE_DAYS"] == "14"
    (sweep,) = [
        r["Properties"]
        for r in configured.resources.values()
        if r["Type"] == "AWS::Events::Rule" and "sweep_abandoned" in json.dumps(r["Properties"])
    ]
    assert sweep["ScheduleExpression"] == "rate(1 day)"
    (target,) = sweep["Targets"]
    assert json.loads(target["Input"]) == {"action": "sweep_abandoned"}
    assert "Intake" in json.dumps(target["Arn"])


def test_the_at_risk_threshold_reaches_the_deadline_watch(configured: Synthesized) -> None:
    assert environment_of(configured, "assign")["SLA_AT_RISK_FRACTION"] == "0.6"


def test_every_ops_contact_is_subscribed_to_the_ops_topic(configured: Synthesized) -> None:
    subscriptions = of_type(configured.resources, "AWS::SNS::Subscription").values()
    assert sorted(
        s["Properties"]["Endpoint"] for s in subscriptions if s["Properties"]["Protocol"] == "email"
    ) == [
        "oncall@radiologie-beispiel.ch",
        "ops@radiologie-beispiel.ch",
    ]


def test_a_restored_table_is_the_one_every_function_uses(configured: Synthesized) -> None:
    for step in ("intake", "validate", "assign", "report", "deliver"):
        assert environment_of(configured, step)["CASES_TABLE"] == "SecondOpinion-staging-cases-restored"


def test_a_restored_table_is_granted_with_its_indexes_and_the_stack_keeps_its_own(
    configured: Synthesized,
) -> None:
    # Given the intake role's statements
    role = function_role(
        configured.resources, configured.logical_id(configured.stack.functions.by_step["intake"])
    )
    resources = [
        str(r) for s in statements_by_role(configured.resources)[role] for r in as_list(s["Resource"])
    ]

    # Then they name the restored table and its indexes, and the stack's own Cases table is still there
    assert any("table/SecondOpinion-staging-cases-restored" in r and "index" not in r for r in resources)
    assert any("table/SecondOpinion-staging-cases-restored/index/*" in r for r in resources)
    tables = of_type(configured.resources, "AWS::DynamoDB::Table")
    assert any(name.startswith("StorageCases") for name in tables)


def test_the_restored_table_is_in_the_daily_backups(configured: Synthesized) -> None:
    (selection,) = of_type(configured.resources, "AWS::Backup::BackupSelection").values()
    listed = [str(r) for r in selection["Properties"]["BackupSelection"]["Resources"]]
    assert any("SecondOpinion-staging-cases-restored" in r for r in listed)


@pytest.mark.parametrize("output", ["ApiUrl", "PortalUrl"])
def test_the_outputs_give_the_api_and_portal_addresses(dev: Synthesized, output: str) -> None:
    value = dev.raw["Outputs"][output]["Value"]
    assert "Fn::Join" in value  # built from the stage and the distribution, not a fixed string
    assert "https://" in str(value)


@pytest.mark.parametrize(
    "output", ["CasesTable", "FilesTable", "AssignmentsTable", "RosterTable", "DataKeyArn"]
)
def test_the_outputs_name_what_the_runbook_s_commands_take(dev: Synthesized, output: str) -> None:
    assert output in dev.raw["Outputs"]


def test_a_restored_table_is_the_one_the_output_names(configured: Synthesized) -> None:
    assert configured.raw["Outputs"]["CasesTable"]["Value"] == "SecondOpinion-staging-cases-restored"
