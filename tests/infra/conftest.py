"""The CDK app synthesized once per test session: as the operator configures it, and for production.

The first synthesis starts jsii (~7 s); every test reads the same assembly.
"""

from __future__ import annotations

import pytest

from tests.infra.synthesis import Synthesized, operator_context, synthesize


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app with the context committed in cdk.json (a development environment)."""
    return synthesize(operator_context(), tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The same app for a production environment: data outlives the stack."""
    context = operator_context(
        "prod",
        sender_email="reports@radiologie-beispiel.ch",
        ops_emails=["ops@radiologie-beispiel.ch", "oncall@radiologie-beispiel.ch"],
    )
    return synthesize(context, tmp_path_factory.mktemp("cdk-prod"))


@pytest.fixture(scope="session")
def translating(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app with Amazon Translate enabled in Frankfurt, the transfer acknowledged."""
    context = operator_context(
        translator="amazon-translate",
        translate_region="eu-central-1",
        acknowledge_cross_border_translation=True,
    )
    return synthesize(context, tmp_path_factory.mktemp("cdk-translating"))
