"""The client factory: built lazily, once per process, from one session (no request is sent)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from secondopinion import clients


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-central-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    clients.forget()
    yield
    clients.forget()  # nothing built here outlives the test's environment


def test_every_table_shares_one_dynamodb_client() -> None:
    # When two tables are asked for, then they are two tables on one client: DynamoDB's service
    # model is loaded once per process, not once per table
    cases, files = clients.table("cases"), clients.table("files")
    assert (cases.name, files.name) == ("cases", "files")
    assert cases.meta.client is files.meta.client


def test_a_client_is_built_once_per_service() -> None:
    assert clients.client("s3") is clients.client("s3")
    assert clients.client("s3") is not clients.client("kms")


def test_forget_builds_new_clients_from_the_environment_as_it_is_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an S3 client built for one region
    before = clients.client("s3")
    assert before.meta.region_name == "eu-central-2"

    # When the environment points elsewhere and the factory forgets what it built
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    clients.forget()

    # Then the next client is a new one, for the new region
    after = clients.client("s3")
    assert after is not before and after.meta.region_name == "eu-central-1"
