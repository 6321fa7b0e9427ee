"""The `secondopinion` command: run the system locally, mint local staff tokens, demo, validate,
replay dead letters, and measure the cost of a case."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path


def _local(args: argparse.Namespace) -> int:
    from local.roster import DEMO_ROSTER
    from local.system import LocalSystem

    system = LocalSystem(
        assembly_dir=Path(args.assembly),
        port=args.port,
        portal_port=args.portal_port,
        time_scale=args.time_scale,
    ).start()
    print(f"pages      {system.portal_url}  (staff: {system.portal_url}/staff/)")
    print(f"API        {system.api_url}  (OpenAPI at {system.api_url}/openapi.json)")
    print(f"AWS (moto) {system.aws_endpoint}  region {system.region}")
    print(f"time scale {args.time_scale:g}x")
    print(
        "radiologists: "
        + ", ".join(
            f"{r.radiologist_id} ({', '.join(s.value for s in r.subspecialties)})" for r in DEMO_ROSTER
        )
    )
    print(f"staff sign-in: a radiologist id above, or ops; password {system.staff_password}")
    print("staff tokens: secondopinion token --radiologist ID | secondopinion token --ops")
    print(
        f"dead letters: secondopinion ops replay --stack {system.stack_name} "
        f"--endpoint-url {system.aws_endpoint} [--dry-run]"
    )
    print("Ctrl-C stops.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    system.stop()
    print("stopped.")
    return 0


def _token(args: argparse.Namespace) -> int:
    from local import tokens

    claims = tokens.ops_claims() if args.ops else tokens.radiologist_claims(args.radiologist)
    print(tokens.mint(claims, tokens.signing_key()))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(Path(args.assembly), Path(args.out))


def _validate(args: argparse.Namespace) -> int:
    from .validate import run

    return run([Path(p) for p in args.paths], as_json=args.json)


def _roster_import(args: argparse.Namespace) -> int:
    from .roster import run_import

    return run_import(
        Path(args.file), table=args.table, dry_run=args.dry_run, capacity_only=args.capacity_only
    )


def _ops_replay(args: argparse.Namespace) -> int:
    from .ops import run_replay

    return run_replay(
        stack=args.stack,
        queue=args.queue,
        dead_letters=args.dead_letters,
        dry_run=args.dry_run,
        limit=args.limit,
        region=args.region,
        endpoint_url=args.endpoint_url,
    )


def _cost(args: argparse.Namespace) -> int:
    from .cost import run

    prices = Path(args.prices) if args.prices else None
    return run(files=args.files, prices_path=prices, assembly=Path(args.assembly), as_json=args.json)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="secondopinion", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    local = sub.add_parser("local", help="run the whole system on this machine")
    local.add_argument("--port", type=int, default=8080, help="HTTP API port on 127.0.0.1 (default 8080)")
    local.add_argument(
        "--portal-port", type=int, default=8081, help="web pages' port on 127.0.0.1 (default 8081)"
    )
    local.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="run SLA durations N times faster (e.g. 3600: an hour passes in a second)",
    )
    local.add_argument("--assembly", default="cdk.out", help="synthesized cloud assembly (default cdk.out)")
    local.set_defaults(run=_local)

    token = sub.add_parser("token", help="print a local bearer token for a seeded staff member")
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--radiologist", metavar="ID")
    who.add_argument("--ops", action="store_true")
    token.set_defaults(run=_token)

    demo = sub.add_parser("demo", help="one case from request to delivered report, on the local stack")
    demo.add_argument("--assembly", default="cdk.out")
    demo.add_argument("--out", default="out", help="where the report is saved (default out/)")
    demo.set_defaults(run=_demo)

    roster = sub.add_parser("roster", help="manage the radiologist roster")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    importing = roster_sub.add_parser("import", help="create or update radiologists from a CSV or JSON file")
    importing.add_argument("file", metavar="FILE")
    importing.add_argument("--table", help="roster table name (default: $ROSTER_TABLE)")
    importing.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    importing.add_argument("--capacity-only", action="store_true", help="update capacities only")
    importing.set_defaults(run=_roster_import)

    ops = sub.add_parser("ops", help="operate a deployed (or the local) stack")
    ops_sub = ops.add_subparsers(dest="ops_command", required=True)
    replay = ops_sub.add_parser("replay", help="send the upload dead letters back to the upload queue")
    replay.add_argument("--stack", help="stack name (e.g. SecondOpinion-prod): the queues from its outputs")
    replay.add_argument("--queue", help="URL of the queue to replay into (default: from the stack)")
    replay.add_argument("--dead-letters", help="URL of the dead-letter queue (default: from the stack)")
    replay.add_argument("--dry-run", action="store_true", help="list the dead letters, move nothing")
    replay.add_argument("--limit", type=int, help="replay at most this many messages")
    replay.add_argument("--region", help="AWS region (default: your AWS configuration)")
    replay.add_argument("--endpoint-url", help="another endpoint, e.g. the local stack's AWS (moto)")
    replay.set_defaults(run=_ops_replay)

    cost = sub.add_parser("cost", help="the AWS cost of a standard, an expedited and a consensus case")
    cost.add_argument("--files", type=int, default=100, help="DICOM files per case (default 100)")
    cost.add_argument("--prices", help="price file (default: the checked-in eu-central-2 prices)")
    cost.add_argument("--assembly", default="cdk.out")
    cost.add_argument("--json", action="store_true", help="the figures as JSON")
    cost.set_defaults(run=_cost)

    validate = sub.add_parser("validate", help="judge local files as the upload validation would")
    validate.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(run=_validate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
