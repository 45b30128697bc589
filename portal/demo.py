"""`portal demo`: moto, the Chalice app and the static site in one process, seeded and persistent.

Start-up order matters: moto first (boto3 is pointed at it through the environment), then the resources
from infra/ and the saved state, then the app's settings and the demo clock, then the servers.
Each write is recorded before moto answers it, and the whole state saved at exit (see portal/snapshot.py);
the outbox (portal/outbox.py) and the demo clock (portal/clock.py) live in the data directory too.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from chalicelib import bootstrap
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.errors import NotFound
from portal import demo_webhooks, infra, seed, show, snapshot, staff_users
from portal.api_server import ApiServer
from portal.clock import CLOCK_FILE, DemoClock, drive_app
from portal.files import write_atomically
from portal.local_aws import REGION, SERVICES, LocalResources, MotoServer, clients, create_resources, point_boto3_at
from portal.outbox import Outbox
from portal.payments_local import start_stripe
from portal.site_server import SiteServer
from portal.target import DEMO_FILE, LOCK_FILE
from portal.terminal import safe

HOST = "127.0.0.1"
STATE_FILE = "state.json"
OUTBOX_FILE = "outbox.jsonl"
# A CSV for `portal import`, copied into the data directory so the printed command works from anywhere.
IMPORT_SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "imports" / "invoices-sample.csv"


class DemoError(RuntimeError):
    """A problem the operator can fix (a busy port, a data directory in use)."""


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path
    api_port: int = 8000
    site_port: int = 8080
    aws_port: int = 5000
    webhook_port: int = 8090  # the local webhook endpoint (a broker's system in miniature)
    seed: bool = True
    reset: bool = False


def read_demo_file(data_dir: Path) -> dict[str, Any]:
    path = data_dir / DEMO_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def write_demo_file(data_dir: Path, info: dict[str, Any]) -> None:
    write_atomically(data_dir / DEMO_FILE, json.dumps(info, indent=2))  # 0600: it holds the demo's API key


def reset(data_dir: Path) -> None:
    """Forget the saved state, the outbox, the clock and the demo broker (only the files the demo wrote)."""
    for name in (DEMO_FILE, STATE_FILE, snapshot.journal_path(Path(STATE_FILE)).name, OUTBOX_FILE, CLOCK_FILE):
        (data_dir / name).unlink(missing_ok=True)
        (data_dir / f"{name}.tmp").unlink(missing_ok=True)


@contextlib.contextmanager
def exclusive(data_dir: Path) -> Iterator[None]:
    with open(data_dir / LOCK_FILE, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DemoError(f"another portal demo is using {data_dir}; stop it or pass --data-dir") from None
        yield


def bind(what: str, flag: str, port: int, factory: Any) -> Any:
    try:
        return factory()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DemoError(f"port {port} for the {what} is in use: choose another with {flag}") from None
        raise


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def run(options: DemoOptions, out: TextIO) -> None:
    stop = stop_on_signals()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto would log every AWS call
    options.data_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(options.data_dir), contextlib.ExitStack() as running:
        if options.reset:
            reset(options.data_dir)
        _serve(options, out, stop, running)


def _serve(options: DemoOptions, out: TextIO, stop: threading.Event, running: contextlib.ExitStack) -> None:
    data_dir = options.data_dir
    names = LocalResources()
    previous = read_demo_file(data_dir)
    state = snapshot.load(data_dir / STATE_FILE)

    moto = bind("AWS stand-in (moto)", "--aws-port", options.aws_port, lambda: MotoServer(HOST, options.aws_port))
    endpoint = f"http://{HOST}:{moto.port}"
    point_boto3_at(endpoint)
    moto.start()
    running.callback(moto.stop)
    client = clients(endpoint)
    queue_env = create_resources(client, names, state["secrets"].get(names.link_keys_secret) if state else None)
    restored = snapshot.restore(client, names, state) if state else 0

    clock = DemoClock(data_dir)
    saver = snapshot.Saver(data_dir / STATE_FILE, client, names, seq=state["seq"] if state else 0)
    outbox = Outbox(data_dir / OUTBOX_FILE, clock.now)
    moto.watchers += [saver.watch, outbox.watch]
    saver.changed()
    running.callback(saver.stop)  # runs before moto.stop: the final save still reaches moto

    api = bind("API", "--api-port", options.api_port, lambda: ApiServer(HOST, options.api_port))
    api_url = f"http://{HOST}:{api.port}"
    receiver = bind("webhook endpoint", "--webhook-port", options.webhook_port,
                    lambda: demo_webhooks.start_receiver(HOST, options.webhook_port, client))
    running.callback(receiver.stop)
    site = bind("site", "--site-port", options.site_port,
                lambda: SiteServer(HOST, options.site_port, api_url, outbox=outbox,
                                   upload_origin=endpoint,  # the page POSTs dispute evidence to moto's S3
                                   webhooks=receiver.inbox))
    site_url = f"http://{HOST}:{site.port}"
    infra.allow_uploads_from(client("s3"), names.bucket, site_url)
    # The stand-in unless STRIPE_SECRET_KEY holds a real test key; either way the API finds its keys in
    # Secrets Manager and talks through the official SDK.
    standin, stripe_env = start_stripe(api_url, data_dir, client("secretsmanager"), clock=clock.timestamp)
    if standin:
        running.callback(standin.stop)
    os.environ.update({
        "TABLE_NAME": names.table, "LINK_KEYS_SECRET_ID": names.link_keys_secret, "SITE_URL": site_url,
        # No caching locally, so `portal broker revoke-key` and `portal keys retire` take effect at once.
        "AUTH_CACHE_SECONDS": "0", "KEYS_CACHE_SECONDS": "0",
        "EVIDENCE_BUCKET": names.bucket,  # dispute evidence: presigned POSTs to moto's S3
        **stripe_env, **queue_env, **demo_webhooks.environment(queue_env["WEBHOOK_QUEUE_URL"]),
    })
    drive_app(clock.now)  # the API, the seed and the summary all read the demo clock

    broker = _demo_broker(previous.get("demo_broker"), options.seed)
    if broker:  # moto's Cognito starts empty each run: the demo staff are made again, same password
        staff_users.seed_demo_users(client("cognito-idp"), queue_env["USER_POOL_ID"], broker["broker_id"])
    write_demo_file(data_dir, {
        "aws_endpoint": endpoint, "region": REGION, "resources": names.as_dict(),
        "api_url": api_url, "site_url": site_url, "demo_broker": broker,
        "stripe": stripe_env,  # `portal sweep` charges plan installments through the same Stripe
    })
    api.start()
    running.callback(api.stop)
    # moto has no S3 -> Lambda trigger nor SQS event source: deliver both to the import functions here.
    from portal.import_trigger import ImportTrigger, run_in_background

    trigger = ImportTrigger(client("s3"), client("sqs"), names.imports, queue_env["IMPORT_QUEUE_URL"])
    running.callback(run_in_background(trigger, "import-trigger").set)
    from portal.pack_trigger import PackTrigger

    running.callback(run_in_background(PackTrigger(client("sqs"), queue_env["PACK_QUEUE_URL"]), "pack-trigger").set)
    write_atomically(data_dir / IMPORT_SAMPLE.name, IMPORT_SAMPLE.read_text(encoding="utf-8"))
    site.start()
    running.callback(site.stop)

    stripe_line = f"local stand-in {standin.url} (test checkout page, signed webhooks)" if standin else \
        "real Stripe in test mode (STRIPE_SECRET_KEY)"
    _print_summary(out, options, endpoint, api_url, site_url, names, restored, broker, stripe_line)
    _start_webhooks(out, data_dir, broker, receiver, site_url, client("sqs"), queue_env["WEBHOOK_QUEUE_URL"], stop)
    print(f"portal demo ready: API {api_url}, site {site_url}. Press Ctrl-C to stop.", file=out, flush=True)
    # Wake up now and then: when another thread happens to receive the signal, the main thread only
    # runs the Python handler once it returns from waiting.
    while not stop.wait(timeout=0.5):
        pass
    print(safe(f"stopping: saving the state to {data_dir / STATE_FILE}"), file=out, flush=True)


def _start_webhooks(out: TextIO, data_dir: Path, broker: dict[str, str] | None, receiver: Any, site_url: str,
                    sqs: Any, queue_url: str, stop: threading.Event) -> None:
    """The demo broker's endpoint at the local receiver, and the relay and delivery loop."""
    p = printer(out)
    p(f"Webhooks  endpoint {receiver.url}/hooks (verifies each signature); what it received: "
      f"{site_url}/webhooks (as JSON: {site_url}/webhooks.json); POST {receiver.url}/fail?n=3 fails the next 3")
    if broker:
        endpoint_id = demo_webhooks.ensure_endpoint(broker["broker_id"], receiver.url)
        p(f"  {show.portal_command('webhooks', 'test', endpoint_id, data_dir=data_dir):<58}  # a signed test event")
    demo_webhooks.DeliveryLoop(sqs, queue_url, stop).start()


def _demo_broker(saved: dict[str, str] | None, seed_allowed: bool) -> dict[str, str] | None:
    """The broker whose key we can print: the saved one if it still exists, else a freshly seeded one."""
    if saved:
        try:
            bootstrap.store().get_broker(saved["broker_id"])
            return saved
        except NotFound:
            pass
    if not seed_allowed:
        return None
    broker_id, api_key, _ = seed.seed()
    return {"broker_id": broker_id, "api_key": api_key}


def demo_cases(broker_id: str) -> list[Case]:
    cases, _ = bootstrap.case_service().list_cases(broker_id, None, 100, None)
    return sorted(cases, key=lambda c: (c.created_at, c.invoice.number))


def _print_summary(out: TextIO, options: DemoOptions, endpoint: str, api_url: str, site_url: str,
                   names: LocalResources, restored: int, broker: dict[str, str] | None, stripe_line: str) -> None:
    data_dir = options.data_dir
    p = printer(out)
    now = bootstrap.utc_now()
    p("Collections portal: local stack")
    p(f"  API    {api_url}")
    p(f"  Site   {site_url}")
    p(f"  Console {site_url}/console")
    if broker:  # each on its own line: what a person copies, and what the browser tests read
        p(f"    sign in as {staff_users.DEMO_USERS[0][0]} (owner); also {staff_users.DEMO_USERS[1][0]}, "
          f"{staff_users.DEMO_USERS[2][0]}")
        p(f"    password {staff_users.DEMO_PASSWORD}")
    else:
        p("    no demo staff (--no-seed): `portal user invite` one")
    p(f"  AWS    {endpoint}  (moto: {', '.join(SERVICES)})")
    p(f"         table {names.table}, secret {names.link_keys_secret}, bucket {names.bucket}")
    p(f"  Outbox {site_url}/outbox  (every email and SMS sent; as JSON: {site_url}/outbox.json)")
    p(f"  Stripe {stripe_line}")
    origin = f"restored {restored} items from" if restored else "saving to"
    p(f"  State  {origin} {data_dir / STATE_FILE}: on disk before each change is acknowledged; --reset starts afresh")
    p(f"  Clock  {iso(now)} (the demo clock: `portal sweep --at` and `portal clock --set` move it)")
    p("")
    cases = _print_broker(p, data_dir, broker, now.date())
    if broker and cases:
        example = next((c for c in cases if c.invoice.due_on < now.date()), cases[0])
        pay_links = bootstrap.pay_links()
        p("Try the API (each line works as printed):")
        for comment, line in show.curl_lines(api_url, broker["api_key"], example, pay_links.token(example),
                                             now.date()):
            p(f"# {comment}")
            p(line)
        p("")
    # A weekday at 16:00 UTC, inside contact hours from Berlin to Los Angeles, so the sweep sends something.
    week = (now + timedelta(days=7)).replace(hour=16, minute=0, second=0, microsecond=0)
    week += timedelta(days=8 - week.isoweekday() if week.isoweekday() > 5 else 0)  # Monday, not a weekend
    p(f"Operator commands (run from here; they find this demo through {data_dir / DEMO_FILE}):")
    for comment, args in (("a broker and its API key", ("broker", "create", "My Brokerage")),
                          ("time travel: reminders due a week from now", ("sweep", "--at", iso(week))),
                          ("what was sent", ("outbox",)), ("the demo clock", ("clock", "--show")),
                          ("import invoices from a CSV (README: Bulk import)",
                           ("import", str(data_dir / IMPORT_SAMPLE.name))),
                          ("a new pay-link signing key", ("keys", "rotate")),
                          *([("is its history the one the app wrote?", ("verify", cases[0].case_id))]
                            if broker and cases else [])):
        p(f"  {show.portal_command(*args, data_dir=data_dir):<58}  # {comment}")


def _print_broker(p: Callable[[str], None], data_dir: Path, broker: dict[str, str] | None,
                  today: date) -> list[Case]:
    if broker is None:
        p("No demo broker (--no-seed). Create one with:")
        p(f"  {show.portal_command('broker', 'create', 'My Brokerage', data_dir=data_dir)}")
        p("")
        return []
    pay_links = bootstrap.pay_links()
    cases = demo_cases(broker["broker_id"])
    p(f"Broker {seed.BROKER_NAME} ({broker['broker_id']}), API key:")
    p(f"  {broker['api_key']}")
    p(f"  (the portal stores only its hash; the demo keeps it in {data_dir / DEMO_FILE} to show it again)")
    p("")
    p("Cases and their pay links (open one in a browser):")
    for case in cases:
        p(show.case_line(case, today))
        p(f"             {pay_links.url(case)}")
    p("")
    return cases


def printer(out: TextIO) -> Callable[[str], None]:
    def p(line: str) -> None:
        print(safe(line), file=out, flush=True)
    return p
