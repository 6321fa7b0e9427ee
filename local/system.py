"""`secondopinion local`: the whole system on this machine.

moto's server runs in this process with Step Functions execution on; the synthesized template
is deployed into it; Lambda invocations (from Step Functions, the upload queue and the gateway)
run the real handlers; the gateway serves the REST API on 127.0.0.1. Failed queue messages are
delivered again, as Lambda's poller would; `faults` can make chosen invocations fail.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

from . import adapter, cloud, gateway, portal, queues, schedules, tokens
from .faults import FaultPlan
from .roster import DEMO_ROSTER

log = logging.getLogger(__name__)


@dataclass
class LocalSystem:
    assembly_dir: Path = Path("cdk.out")
    port: int = 8080
    time_scale: float = 1.0
    state_dir: Path = tokens.STATE_DIR
    allowed_origins: list[str] = field(default_factory=lambda: ["*"])
    portal_port: int = 0
    environment: dict[str, str] = field(default_factory=dict)
    """Settings to override in every function (e.g. a lower multipart threshold), as time_scale
    compresses durations: for tests and demos, never part of a deployment."""
    site: Path = portal.SITE
    faults: FaultPlan = field(default_factory=FaultPlan)

    def start(self) -> LocalSystem:
        import moto.core.config as moto_config
        from moto.server import ThreadedMotoServer

        warnings.filterwarnings("ignore", message="Tried to parse AWS::")
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        logging.getLogger("moto").setLevel(logging.ERROR)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        moto_config.default_user_config["stepfunctions"] = {"execute_state_machine": True}
        moto_config.default_user_config["lambda"] = {"use_docker": False}
        self._assembly_copy = cloud.copy_assembly(self.assembly_dir)
        assembly = cloud.Assembly.find(self._assembly_copy)
        self.region, self.stack_name = assembly.region, assembly.stack_name
        self.aws_port = cloud.free_port()
        self._saved_environment = dict(os.environ)
        os.environ["MOTO_PORT"] = str(self.aws_port)
        self.aws_endpoint = f"http://127.0.0.1:{self.aws_port}"
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.aws_port, verbose=False)
        self._moto.start()
        os.environ.update(cloud.aws_environment(self.aws_endpoint, self.region))
        self.faults.time_scale = self.time_scale
        self.invocations = adapter.install(faults=self.faults)
        queues.make_deletes_atomic()
        self.session = boto3.session.Session(region_name=self.region)
        self.resources = cloud.deploy(assembly, self.session)
        self.template = template = assembly.template
        cloud.hand_state_machines_to_interpreter(self.region)
        self.functions = cloud.function_names(template, self.resources)
        os.environ.update(
            {
                "TIME_SCALE": str(self.time_scale),
                **cloud.function_environment(self.session, list(self.functions.values())),
            }
        )
        os.environ.update(self.environment)
        cloud.apply_what_moto_skips(self.session, template, self.resources)
        self._seed_roster()
        from infra.openapi import document

        self.gateway = gateway.Gateway(
            gateway.routes_from_template(template),
            gateway.gateway_responses_from_template(template),
            self.functions,
            self._invoke,
            tokens.signing_key(self.state_dir),
            document,
            self.allowed_origins,
        )
        self._http: ThreadingHTTPServer = gateway.serve(self.gateway, self.port)
        self.port = self._http.server_address[1]
        self._start_portal()
        lambda_ = self.session.client("lambda")
        self._scheduler = schedules.Scheduler(
            schedules.schedules_from_template(template),
            lambda logical, payload: lambda_.invoke(
                FunctionName=self.functions[logical], Payload=json.dumps(payload)
            ),
            self.time_scale,
        ).start()
        self._redelivery = queues.Redelivery(cloud.ACCOUNT, self.region, self.time_scale).start()
        return self

    def _start_portal(self) -> None:
        """The pages on their own origin; the e-mail's link and CORS point at it."""
        self.staff_password = portal.staff_password(self.state_dir)
        self._portal = portal.serve(
            portal.Portal(
                self.site,
                {
                    "apiUrl": self.api_url,
                    "auth": {"kind": "local", "signInUrl": "/local/sign-in"},
                    "upload": {
                        "multipartThresholdBytes": int(os.environ["MULTIPART_THRESHOLD_BYTES"]),
                        "minPartBytes": int(os.environ["MIN_PART_BYTES"]),
                    },
                },
                tokens.signing_key(self.state_dir),
                self.staff_password,
                {r.radiologist_id for r in DEMO_ROSTER},
                [self.api_url, self.aws_endpoint],
            ),
            self.portal_port,
        )
        self.portal_port = self._portal.server_address[1]
        os.environ["PORTAL_URL"] = self.portal_url

    def stop(self) -> None:
        self._scheduler.stop()
        self._redelivery.stop()
        self._portal.shutdown()
        self._portal.server_close()
        # moto's state lives in this process: forget it, so that a later stack starts empty.
        requests.post(f"{self.aws_endpoint}/moto-api/reset", timeout=30).raise_for_status()
        self._http.shutdown()
        self._http.server_close()
        self._moto.stop()
        # The handlers' cached settings and clients point at this stack: forget them with it.
        os.environ.clear()
        os.environ.update(self._saved_environment)
        adapter.forget_cached_state()
        shutil.rmtree(self._assembly_copy, ignore_errors=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    def of_type(self, resource_type: str) -> list[str]:
        """Physical ids of the deployed resources of one CloudFormation type."""
        return [
            self.resources[k]
            for k, r in self.template["Resources"].items()
            if r["Type"] == resource_type and k in self.resources
        ]

    @property
    def state_machine_arn(self) -> str:
        (arn,) = self.of_type("AWS::StepFunctions::StateMachine")
        return arn

    def _seed_roster(self) -> None:
        from secondopinion.store import RosterStore

        roster = RosterStore(os.environ["ROSTER_TABLE"])
        for radiologist in DEMO_ROSTER:
            roster.put(radiologist)

    @cached_property
    def _api_lambda(self) -> Any:
        """The gateway's Lambda client, one for every request (clients are thread-safe, and making
        one cost more than many a request). It never retries: a retried invocation would run the
        function a second time behind the caller's back (a declare would declare the files twice)."""
        return self.session.client(
            "lambda", config=Config(read_timeout=gateway.WAIT_SECONDS, retries={"total_max_attempts": 1})
        )

    def _invoke(self, function_name: str, event: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self._api_lambda.invoke(FunctionName=function_name, Payload=json.dumps(event))
        except ReadTimeoutError as timed_out:
            raise gateway.IntegrationTimedOut(function_name) from timed_out
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError") or not isinstance(payload, dict):
            return None
        return payload

    def sent_emails(self) -> list[dict[str, Any]]:
        """What the functions sent through SES (moto keeps every message)."""
        from moto.ses.models import ses_backends

        return [
            {"to": m.destinations, "subject": m.subject, "body": m.body}
            for m in ses_backends[cloud.ACCOUNT][self.region].sent_messages
        ]

    def published(self) -> list[dict[str, Any]]:
        """What the functions published to SNS topics (the ops alerts), as moto keeps it."""
        from moto.sns.models import sns_backends

        return [
            {"topic": arn, "subject": subject, "message": message}
            for arn, topic in sns_backends[cloud.ACCOUNT][self.region].topics.items()
            for _, message, subject, _, _ in topic.sent_notifications
        ]
