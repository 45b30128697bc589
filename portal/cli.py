"""`portal`: the local stack (`portal demo`) and the operator's commands (brokers, link keys, the demo's
clock and outbox, time travel, verifying a case's history).

The operator commands talk to a running `portal demo` by default; see portal/target.py for real AWS.
Everything printed that came from data goes through portal/terminal.py's `safe`.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters.dynamo import DynamoStore
from chalicelib.adapters.secrets import SecretsKeyRing, initial_secret
from chalicelib.domain.errors import PortalError
from chalicelib.services import brokers
from portal.clock import DemoClock
from portal.deploy import active_key as _active_key
from portal.target import Target, TargetError, from_stack, resolve
from portal.target import __doc__ as target_doc
from portal.terminal import safe


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("a port is 0 to 65535 (0: any free port)")
    return number


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="portal", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The collections portal's local stack and operator commands.",
        epilog=target_doc)
    commands = top.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run moto, the API and the site locally, seeded with demo data")
    demo.add_argument("--api-port", type=port, default=8000)
    demo.add_argument("--site-port", type=port, default=8080)
    demo.add_argument("--aws-port", type=port, default=5000, help="moto's port")
    demo.add_argument("--webhook-port", type=port, default=8090, help="the local webhook endpoint's port")
    demo.add_argument("--no-seed", action="store_true", help="do not create the demo broker and cases")
    demo.add_argument("--reset", action="store_true", help="forget the saved state first")
    demo.add_argument("--data-dir", type=Path, default=Path(".portal"), help="where the state is kept")

    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--data-dir", type=Path, default=Path(".portal"),
                        help="the running demo's data directory (its demo.json says where moto runs)")
    target.add_argument("--aws-endpoint", help="an AWS endpoint URL, or 'aws' for real AWS (also PORTAL_AWS=1)")
    target.add_argument("--table", help="table name (default: the demo's; TABLE_NAME with real AWS)")
    target.add_argument("--secret-id", help="link-keys secret (default: the demo's; LINK_KEYS_SECRET_ID)")
    target.add_argument("--stage", help="a deployed stage (`portal deploy`): names come from its stack's outputs")
    target.add_argument("--region", help="the deployed stage's region (default: AWS_REGION)")

    broker = commands.add_parser("broker", help="broker accounts and API keys").add_subparsers(
        dest="action", required=True)
    create = broker.add_parser("create", parents=[target], help="create a broker; prints its API key once")
    create.add_argument("name")
    create.add_argument("--email")
    create.add_argument("--locale", default="en", help="the broker's language: en, es, fr or de (evidence packs)")
    create.add_argument("--json", action="store_true", help='print {"broker_id": ..., "api_key": ...}')
    add = broker.add_parser("add-key", parents=[target], help="another API key for a broker (for rotation)")
    add.add_argument("broker_id")
    add.add_argument("--json", action="store_true")
    revoke = broker.add_parser("revoke-key", parents=[target], help="revoke an API key ('-' reads it from stdin)")
    revoke.add_argument("api_key", help="the key, or - to read it from stdin (keeps it out of shell history)")

    keys = commands.add_parser("keys", help="pay-link signing keys in Secrets Manager").add_subparsers(
        dest="action", required=True)
    keys.add_parser("init", parents=[target], help="write the first key into a new (placeholder) secret")
    keys.add_parser("rotate", parents=[target], help="new active key; the old one keeps verifying")
    retire = keys.add_parser("retire", parents=[target], help="links signed with this key stop working")
    retire.add_argument("kid")

    from portal import sweep, verify, webhooks_cli

    sweep.register(commands, [target])  # reminders: `portal sweep --at ...` (portal/sweep.py)
    verify.register(commands, [target])  # `portal verify CASE_ID` (portal/verify.py)
    webhooks_cli.register(commands, [target])  # `portal webhooks test ENDPOINT_ID` (portal/webhooks_cli.py)
    from portal import import_command

    import_command.register(commands, [target])  # `portal import FILE.csv` (portal/import_command.py)
    from portal import deploy, stage_commands

    deploy.register(commands)  # `portal deploy` (portal/deploy.py)
    stage_commands.register(commands, [target])  # `portal dlq redrive`, `portal stripe-keys`
    from portal import staff_users

    staff_users.register(commands, [target])  # `portal user invite|remove|list` (portal/staff_users.py)
    from portal import reindex

    reindex.register(commands, [target])  # `portal reindex` (portal/reindex.py)
    clock = commands.add_parser("clock", parents=[target], help="show or move the running demo's clock")
    moves = clock.add_mutually_exclusive_group()
    moves.add_argument("--set", type=sweep.moment, metavar="ISO", help="e.g. 2026-12-01T10:00:00Z (time runs on)")
    moves.add_argument("--show", action="store_true", help="print the demo's time (the default)")
    outbox = commands.add_parser("outbox", parents=[target], help="the newest emails and SMS the demo sent")
    outbox.add_argument("--limit", type=int, default=20)
    outbox.add_argument("--json", action="store_true", help="print the demo's /outbox.json answer")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "demo":
        return run_demo(args)
    if args.command == "verify":
        from portal import verify_pack

        if verify_pack.is_pack(args.case_id):  # an evidence pack: checked offline, no AWS, no portal
            return verify_pack.command(args.case_id)
    if args.command == "deploy":
        from portal import deploy

        return deploy.command(args)
    try:
        target = (from_stack(args.stage, args.region) if args.stage else
                  resolve(args.data_dir, args.aws_endpoint, args.table, args.secret_id))
    except TargetError as exc:
        return fail(str(exc))
    try:
        if args.command in ("dlq", "stripe-keys") or (args.command == "sweep" and target.environment):
            from portal import stage_commands

            return stage_commands.run(args, target)
        if args.command == "broker":
            return broker_command(args, target)
        if args.command == "sweep":
            from portal import sweep

            return sweep.command(args, None if target.where == "AWS" else target.where, table=target.table,
                                 secret_id=target.secret_id, clock=demo_clock(target))
        if args.command == "verify":
            from portal import verify

            return verify.command(args, target)
        if args.command == "webhooks":
            from portal import webhooks_cli

            return webhooks_cli.command(args, target)
        if args.command == "user":
            from portal import staff_users

            return staff_users.command(args, target)
        if args.command == "import":
            from portal import import_command

            return import_command.command(args, target)
        if args.command == "reindex":
            from portal import reindex

            return reindex.command(args, target)
        if args.command in ("clock", "outbox"):
            from portal import demo_commands

            return demo_commands.run(args, target)
        return keys_command(args, target)
    except EndpointConnectionError:
        return fail(f"cannot reach AWS at {target.where}: is `portal demo` running? "
                    "(or pass --aws-endpoint / --data-dir)")
    except PortalError as exc:
        return fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    except ClientError as exc:
        return fail(f"{exc.response['Error']['Code']}: {exc.response['Error'].get('Message', '')}")


def fail(message: str) -> int:
    print(safe(f"portal: {message}"), file=sys.stderr)
    return 1


def demo_clock(target: Target) -> DemoClock | None:
    return DemoClock(target.data_dir) if target.data_dir else None


def clock_of(target: Target) -> Callable[[], datetime]:
    """The running demo's clock, or the real one (real AWS, another endpoint)."""
    clock = demo_clock(target)
    return clock.now if clock else utc_now


def run_demo(args: argparse.Namespace) -> int:
    from portal import demo

    options = demo.DemoOptions(data_dir=args.data_dir, api_port=args.api_port, site_port=args.site_port,
                               aws_port=args.aws_port, seed=not args.no_seed, reset=args.reset,
                               webhook_port=args.webhook_port)
    try:
        demo.run(options, sys.stdout)
    except demo.DemoError as exc:
        print(safe(f"portal demo: {exc}"), file=sys.stderr)
        return 2
    return 0


def broker_command(args: argparse.Namespace, target: Target) -> int:
    store = DynamoStore(target.client("dynamodb"), target.table)
    if args.action == "create":
        broker, api_key = brokers.create_broker(store, clock_of(target), args.name, args.email,
                                                 args.locale)
        return print_key(broker.broker_id, api_key, args.json, f"Created broker {args.name!r}")
    if args.action == "add-key":
        api_key = brokers.add_key(store, clock_of(target), args.broker_id)
        return print_key(args.broker_id, api_key, args.json, "New key")
    api_key = sys.stdin.readline().strip() if args.api_key == "-" else args.api_key
    if not brokers.revoke_key(store, api_key):
        return fail("no such API key (already revoked?)")
    print("revoked: requests with that key now get 401")
    return 0


def print_key(broker_id: str, api_key: str, as_json: bool, headline: str) -> int:
    if as_json:
        print(json.dumps({"broker_id": broker_id, "api_key": api_key}))
    else:
        print(safe(f"{headline} ({broker_id}). API key, shown only now (the portal keeps just its hash):"))
        print(api_key)
    return 0


def keys_command(args: argparse.Namespace, target: Target) -> int:
    client = target.client("secretsmanager")
    ring = SecretsKeyRing(client, target.secret_id, cache_seconds=0)
    if args.action == "init":
        return init_keys(client, target.secret_id)
    if args.action == "rotate":
        kid = ring.rotate()
        print(f"active key is now {kid}; earlier keys keep verifying until `portal keys retire KID`")
        return 0
    try:
        ring.retire(args.kid)
    except ValueError as exc:
        return fail(str(exc))
    except KeyError:
        return fail(f"no key {args.kid!r} in {target.secret_id}")
    print(safe(f"retired {args.kid}: links signed with it are no longer valid"))
    return 0


def init_keys(client: Any, secret_id: str) -> int:
    """Fill the placeholder secret the stack deploys ({"active": null}); never overwrite a live ring."""
    try:
        current = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        value = initial_secret()
        client.create_secret(Name=secret_id, SecretString=value)
    else:
        active = _active_key(current)
        if active:
            return fail(f"{secret_id} already has an active key ({active}); use `portal keys rotate`")
        value = initial_secret()
        client.put_secret_value(SecretId=secret_id, SecretString=value)
    print(f"link keys initialised: active key {json.loads(value)['active']}")
    return 0

