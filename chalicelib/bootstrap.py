"""The one place where real adapters are built: lazily, once per Lambda container.

Adapters and services are imported inside their builders, so a cold start only pays for what the
invoked route uses.
"""
from __future__ import annotations

import functools
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import boto3

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.adapters.anchors import S3Anchors
    from chalicelib.adapters.dynamo import DynamoStore
    from chalicelib.adapters.dynamo_notices import DynamoNoticeStore
    from chalicelib.adapters.dynamo_suppressions import DynamoSuppressions
    from chalicelib.adapters.dynamo_sweep import DynamoSweepIndex
    from chalicelib.adapters.pacing import Pacer
    from chalicelib.adapters.packs import PackBucket
    from chalicelib.adapters.s3 import EvidenceBucket
    from chalicelib.adapters.secrets import SecretsKeyRing
    from chalicelib.adapters.ses import SesMailer
    from chalicelib.adapters.stripe_gateway import StripeGateway
    from chalicelib.adapters.webhook_secrets import WebhookSecrets
    from chalicelib.adapters.webhook_store import DynamoWebhookStore
    from chalicelib.services.audit import CaseAudit
    from chalicelib.services.broker_notices import BrokerNotices
    from chalicelib.services.brokers import BrokerAuth
    from chalicelib.services.cases import CaseService
    from chalicelib.services.closing import ClosingService
    from chalicelib.services.customer import CustomerService
    from chalicelib.services.digest import DigestRun
    from chalicelib.services.evidence_packs import EvidencePacks
    from chalicelib.services.imports import ImportService
    from chalicelib.services.links import PayLinks
    from chalicelib.services.mail_feedback import MailFeedbackService
    from chalicelib.services.pack_builds import PackBuilds
    from chalicelib.services.payment_notices import PaymentNotices
    from chalicelib.services.payments import PaymentService
    from chalicelib.services.plan_notices import PlanNotices
    from chalicelib.services.plans import PlanService
    from chalicelib.services.policies import PolicyService
    from chalicelib.services.reminder_control import ReminderControl
    from chalicelib.services.reminders import ReminderWorker, Sweep
    from chalicelib.services.reports import ReportService
    from chalicelib.services.self_service import SelfService, SelfServiceTimers
    from chalicelib.services.self_service_notices import SelfServiceNotices
    from chalicelib.services.staff import ConsoleSessions, StaffAuth, StaffDirectory
    from chalicelib.services.webhook_delivery import DeliveryWorker, Relay
    from chalicelib.services.webhooks import WebhookEndpoints


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@functools.cache
def settings() -> Settings:
    return Settings.from_env()


@functools.cache
def aws(service: str) -> Any:
    # Endpoints come from the standard AWS_ENDPOINT_URL* variables: moto locally, AWS in production.
    return boto3.client(service)


@functools.cache
def store() -> DynamoStore:
    from chalicelib.adapters.dynamo import DynamoStore

    return DynamoStore(aws("dynamodb"), settings().table_name, anchors())


@functools.cache
def anchors() -> S3Anchors:
    """The write-once head-hash anchors: every function that changes a case writes them, so it fails fast without."""
    from chalicelib.adapters.anchors import S3Anchors

    return S3Anchors(aws("s3"), settings().require("anchor_bucket"))


@functools.cache
def case_audit() -> CaseAudit:
    from chalicelib.services.audit import CaseAudit

    return CaseAudit(store(), anchors())


def sweep_index() -> DynamoSweepIndex:
    from chalicelib.adapters.dynamo_sweep import DynamoSweepIndex

    return DynamoSweepIndex(aws("dynamodb"), settings().table_name, anchors())


@functools.cache
def keyring() -> SecretsKeyRing:
    from chalicelib.adapters.secrets import SecretsKeyRing

    return SecretsKeyRing(aws("secretsmanager"), settings().require("link_keys_secret_id"),
                          settings().keys_cache_seconds)


@functools.cache
def pay_links() -> PayLinks:
    from chalicelib.services.links import PayLinks

    return PayLinks(keyring(), settings().require("site_url"))


@functools.cache
def broker_auth() -> BrokerAuth:
    from chalicelib.services.brokers import BrokerAuth

    return BrokerAuth(store(), settings().auth_cache_seconds, clock=utc_now)


@functools.cache
def case_service() -> CaseService:
    from chalicelib.services.cases import CaseService

    return CaseService(store(), store(), utc_now, timedelta(days=settings().link_ttl_days),
                       planner=lambda case: reminder_control().first_action(case))


@functools.cache
def customer_service() -> CustomerService:
    from chalicelib.services.customer import CustomerService

    return CustomerService(store(), pay_links(), utc_now)


@functools.cache
def policy_service() -> PolicyService:
    from chalicelib.adapters.dynamo_policy import DynamoPolicyStore
    from chalicelib.services.policies import PolicyService

    return PolicyService(DynamoPolicyStore(aws("dynamodb"), settings().table_name), utc_now,
                         settings().policy_cache_seconds)


@functools.cache
def reminder_control() -> ReminderControl:
    from chalicelib.services.reminder_control import ReminderControl

    return ReminderControl(case_service(), policy_service(), utc_now)


@functools.cache
def stripe_gateway() -> StripeGateway:
    from chalicelib.adapters.stripe_gateway import StripeConfigError, StripeGateway

    secret_id = settings().stripe_secret_id
    if not secret_id:
        raise StripeConfigError("STRIPE_SECRET_ID is not set: payments need the Stripe secret")
    return StripeGateway(aws("secretsmanager"), secret_id, settings().stripe_api_base, settings().keys_cache_seconds)


@functools.cache
def payment_service() -> PaymentService:
    from chalicelib.domain.payments import terms_from_policy
    from chalicelib.services.payments import PaymentService

    return PaymentService(store(), customer_service(), case_service(), stripe_gateway, utc_now,
                          settings().require("site_url"),
                          terms=lambda broker: terms_from_policy(policy_service().policy_for(broker)),
                          notices=payment_notices(), plans=plan_service())


@functools.cache
def payment_notices() -> PaymentNotices:
    from chalicelib.adapters.templates import Templates, money
    from chalicelib.services.payment_notices import PaymentNotices

    return PaymentNotices(Templates(), mailer(), policy_service(), utc_now, money,
                          broker=broker_notices())


@functools.cache
def sending_client(service: str) -> Any:
    """SES and SNS clients that never retry on their own: a retry after a timeout could send twice.
    The reminder worker retries, durably and with backoff, only after a definite refusal."""
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


@functools.cache
def reminder_sweep() -> Sweep:
    from chalicelib.adapters.dynamo_sweep import DynamoSweepIndex
    from chalicelib.adapters.sqs import SqsQueue
    from chalicelib.services.reminders import Sweep

    queue = SqsQueue(aws("sqs"), settings().require("reminder_queue_url"))
    # The sweep only reads the index and queues: it changes no case, so it anchors nothing.
    return Sweep(DynamoSweepIndex(aws("dynamodb"), settings().table_name), queue, utc_now)


@functools.cache
def reminder_worker() -> ReminderWorker:
    from chalicelib.adapters.sns import SnsTexter
    from chalicelib.adapters.sqs import SqsQueue
    from chalicelib.adapters.templates import Templates
    from chalicelib.services.cases import new_link_id
    from chalicelib.services.channels import registry
    from chalicelib.services.reminders import ReminderWorker

    dlq = settings().reminder_dlq_url
    queue = settings().reminder_queue_url
    texter = SnsTexter(sending_client("sns"), pacer=sms_pacer())
    return ReminderWorker(
        store=store(), index=sweep_index(), policies=policy_service(),
        channels=registry(Templates(), mailer(), texter, utc_now, suppressions=suppressions(), broker=broker_notices()),
        links=pay_links(), dead_letters=SqsQueue(aws("sqs"), dlq) if dlq else None, clock=utc_now,
        link_ttl=timedelta(days=settings().link_ttl_days), new_link_id=new_link_id,
        timers=self_service_timers(),
        installments=plan_service().run_due,
        requeue=SqsQueue(aws("sqs"), queue) if queue else None,
    )


# --- self-service: disputes, promises, "I already paid", fresh links ------------------------------------

@functools.cache
def evidence() -> EvidenceBucket:
    from botocore.config import Config

    from chalicelib.adapters.s3 import EvidenceBucket

    # SigV4 presigned POSTs: the only kind S3 accepts in the newer regions.
    client = boto3.client("s3", config=Config(signature_version="s3v4"))
    return EvidenceBucket(client, settings().require("evidence_bucket"))


@functools.cache
def self_service_notices() -> SelfServiceNotices:
    from chalicelib.adapters.templates import Templates, long_date, money
    from chalicelib.services.self_service_notices import SelfServiceNotices

    return SelfServiceNotices(Templates(), mailer(), policy_service(), pay_links(),
                              utc_now, money, long_date, broker=broker_notices())


@functools.cache
def self_service() -> SelfService:
    from chalicelib.services.cases import new_link_id
    from chalicelib.services.self_service import SelfService

    return SelfService(cases=case_service(), customers=customer_service(), links=pay_links(),
                       policies=policy_service(), notices=self_service_notices(), evidence=evidence, clock=utc_now,
                       link_ttl=timedelta(days=settings().link_ttl_days), new_link_id=new_link_id)


@functools.cache
def self_service_timers() -> SelfServiceTimers:
    from chalicelib.services.cases import new_link_id
    from chalicelib.services.self_service import SelfServiceTimers

    return SelfServiceTimers(self_service_notices(), new_link_id, timedelta(days=settings().link_ttl_days))


# --- installment plans ---------------------------------------------------------------------------------

@functools.cache
def plan_notices() -> PlanNotices:
    from chalicelib.adapters.templates import Templates, long_date, money
    from chalicelib.services.plan_notices import PlanNotices

    return PlanNotices(Templates(), mailer(), policy_service(), pay_links(), utc_now,
                       money, long_date, payments=payment_notices(), broker=broker_notices())


@functools.cache
def plan_service() -> PlanService:
    from chalicelib.services.cases import new_link_id
    from chalicelib.services.plans import PlanService

    return PlanService(store=store(), reader=sweep_index(),
                       customers=customer_service(), cases=case_service(), gateway=stripe_gateway,
                       policies=policy_service(), clock=utc_now, site_url=settings().require("site_url"),
                       notices=plan_notices(), new_link_id=new_link_id,
                       link_ttl=timedelta(days=settings().link_ttl_days))


# --- bulk imports ---------------------------------------------------------------------------------------

@functools.cache
def import_service() -> ImportService:
    from botocore.config import Config

    from chalicelib.adapters.dynamo_imports import DynamoImports
    from chalicelib.adapters.s3_imports import ImportBucket
    from chalicelib.adapters.sqs import SqsQueue
    from chalicelib.services.cases import CaseService
    from chalicelib.services.imports import ImportService, Limits, RecentBrokers

    config = settings()
    # SigV4 presigned POSTs (as for evidence); the queue is needed only once a file needs a second chunk.
    bucket = ImportBucket(boto3.client("s3", config=Config(signature_version="s3v4")), config.require("import_bucket"))
    limits = Limits(max_bytes=config.import_max_bytes, max_rows=config.import_max_rows,
                    chunk_rows=config.import_chunk_rows)
    # Cases opened as POST /admin/cases opens them, with the broker's details read once a minute.
    cases = CaseService(store(), RecentBrokers(store()), utc_now, timedelta(days=config.link_ttl_days),
                        planner=lambda case: reminder_control().first_action(case))
    return ImportService(DynamoImports(aws("dynamodb"), config.table_name), bucket, cases,
                         lambda: SqsQueue(aws("sqs"), config.require("import_queue_url")), utc_now, limits,
                         announce=lambda *event: webhooks_service().emit_broker_event(*event))


# --- broker notifications ------------------------------------------------------------------------------

@functools.cache
def notice_store() -> DynamoNoticeStore:
    from chalicelib.adapters.dynamo_notices import DynamoNoticeStore

    return DynamoNoticeStore(aws("dynamodb"), settings().table_name)


@functools.cache
def broker_notices() -> BrokerNotices:
    from chalicelib.adapters.templates import Templates, money
    from chalicelib.services.broker_notices import BrokerNotices

    return BrokerNotices(notice_store(), Templates(), mailer(), utc_now, money,
                         settings().policy_cache_seconds)


@functools.cache
def broker_digest() -> DigestRun:
    from chalicelib.adapters.templates import Templates, long_date, money
    from chalicelib.services.digest import DigestRun

    return DigestRun(store=notice_store(), notices=broker_notices(), brokers=broker_reader(), policies=policy_service(),
                     renderer=Templates(), mailer=mailer(), clock=utc_now, money=money,
                     long_date=long_date)


def reset() -> None:
    """Forget every built adapter (tests, and the local stack after it changes the environment)."""
    for built in (settings, aws, store, keyring, pay_links, broker_auth, case_service, customer_service):
        built.cache_clear()
    # Every other builder too, so a new one cannot be forgotten here.
    for built in [v for v in globals().values() if callable(getattr(v, "cache_clear", None))]:
        built.cache_clear()


# --- outbound webhooks ---------------------------------------------------------------------------------

@functools.cache
def webhook_store() -> DynamoWebhookStore:
    from chalicelib.adapters.webhook_store import DynamoWebhookStore

    return DynamoWebhookStore(aws("dynamodb"), settings().table_name)


@functools.cache
def webhook_secrets() -> WebhookSecrets:
    from chalicelib.adapters.webhook_secrets import WebhookSecrets

    return WebhookSecrets(aws("secretsmanager"), settings().webhook_secret_prefix, settings().keys_cache_seconds)


@functools.cache
def webhooks_service() -> WebhookEndpoints:
    """Endpoints for the API, and `emit_broker_event` for code that finishes broker-level work (imports)."""
    from chalicelib.services.webhooks import WebhookEndpoints

    return WebhookEndpoints(webhook_store(), webhook_secrets(), utc_now,
                            allow_loopback=settings().webhook_allow_loopback)


@functools.cache
def webhook_relay() -> Relay:
    from chalicelib.adapters.sqs import SqsQueue
    from chalicelib.services.webhook_delivery import Relay

    return Relay(webhook_store(), SqsQueue(aws("sqs"), settings().require("webhook_queue_url")))


@functools.cache
def webhook_worker() -> DeliveryWorker:
    from chalicelib.adapters.sqs import SqsQueue
    from chalicelib.adapters.webhook_http import WebhookSender
    from chalicelib.services.webhook_delivery import DeliveryWorker

    config = settings()
    sender = WebhookSender(allow_loopback=config.webhook_allow_loopback)
    return DeliveryWorker(webhook_store(), webhook_secrets(), sender,
                          SqsQueue(aws("sqs"), config.require("webhook_queue_url")), utc_now,
                          mailer=mailer(), sender_address=broker_addresses,
                          retry_scale=config.webhook_retry_scale)


def broker_addresses(broker_id: str) -> tuple[str, str | None]:
    """(the broker's sender address, the broker's own address) for a notice to the broker."""
    broker = broker_reader().get_broker(broker_id)
    return policy_service().policy_for(broker_id).sender.from_email, broker.email


@functools.cache
def broker_reader() -> DynamoStore:
    """Brokers for the functions that change no case (the digest, webhook deliveries): the table without
    the anchor bucket, which only a change of a case needs, so they are deployed without it."""
    from chalicelib.adapters.dynamo import DynamoStore

    return DynamoStore(aws("dynamodb"), settings().table_name)


# --- sending within SES's and SNS's limits; bounces and complaints -------------------------------------
# The pacers' clock and sleep are looked up at each call, so a simulation (bench/burst.py) can replace them.
monotonic = time.monotonic
sleep = time.sleep


@functools.cache
def email_pacer() -> Pacer:
    """This container's share of the account's SES rate (EMAIL_SEND_RATE, else GetSendQuota's MaxSendRate,
    asked at the first send)."""
    from chalicelib.adapters.pacing import Pacer
    from chalicelib.adapters.ses import max_send_rate

    rate = settings().email_send_rate
    return Pacer.share(rate or (lambda: max_send_rate(aws("ses"))), settings().worker_concurrency,
                       lambda: monotonic(), lambda s: sleep(s))


@functools.cache
def mailer() -> SesMailer:
    """The one mailer of every function that emails: reminders and notices alike are paced within this
    container's share of SES's rate and sent with the configuration set, so a bounce or complaint of any of
    them reaches the ses_events function."""
    from chalicelib.adapters.ses import SesMailer

    return SesMailer(sending_client("sesv2"), settings().ses_configuration_set, pacer=email_pacer())


@functools.cache
def sms_pacer() -> Pacer:
    from chalicelib.adapters.pacing import Pacer

    return Pacer.share(settings().sms_send_rate, settings().worker_concurrency, lambda: monotonic(), lambda s: sleep(s))


@functools.cache
def suppressions() -> DynamoSuppressions:
    from chalicelib.adapters.dynamo_suppressions import DynamoSuppressions

    return DynamoSuppressions(aws("dynamodb"), settings().table_name)


@functools.cache
def mail_feedback() -> MailFeedbackService:
    from chalicelib.adapters import ses_events
    from chalicelib.adapters.templates import Templates
    from chalicelib.services.mail_feedback import MailFeedbackService

    return MailFeedbackService(store=store(), reader=sweep_index(), suppressions=suppressions(),
                               policies=policy_service(), renderer=Templates(),
                               mailer=mailer(),
                               clock=utc_now, parse=ses_events.read, broker=broker_notices())


# --- closing cases: partners, escalation, mediation, write-off, evidence packs -------------------------

@functools.cache
def pack_bucket() -> PackBucket:
    from botocore.config import Config

    from chalicelib.adapters.packs import PackBucket

    client = boto3.client("s3", config=Config(signature_version="s3v4"))
    return PackBucket(client, settings().require("evidence_bucket"))


@functools.cache
def evidence_packs() -> EvidencePacks:
    from chalicelib.adapters.pdf import render
    from chalicelib.adapters.templates import Templates, long_date, money
    from chalicelib.services.evidence_packs import EvidencePacks
    from chalicelib.services.statement_document import StatementDocument

    return EvidencePacks(store=store(), anchors=anchors(), bucket=pack_bucket,
                         document=StatementDocument(Templates(), money, long_date), policies=policy_service(),
                         brokers=store(), clock=utc_now, pdf=render)


@functools.cache
def pack_builds() -> PackBuilds:
    from chalicelib.adapters.dynamo_pack_jobs import DynamoPackJobs
    from chalicelib.adapters.sqs import SqsQueue
    from chalicelib.services.pack_builds import PackBuilds

    config = settings()
    return PackBuilds(packs=evidence_packs(), jobs=DynamoPackJobs(aws("dynamodb"), config.table_name),
                      cases=sweep_index(), brokers=store(),
                      queue=lambda: SqsQueue(aws("sqs"), config.require("pack_queue_url")), clock=utc_now,
                      on_ready=lambda *args: closing_service().pack_ready(*args))


@functools.cache
def closing_service() -> ClosingService:
    from chalicelib.adapters.dynamo_partners import DynamoPartnerStore
    from chalicelib.adapters.templates import Templates
    from chalicelib.services.closing import ClosingService

    return ClosingService(cases=case_service(), partners=DynamoPartnerStore(aws("dynamodb"), settings().table_name),
                          policies=policy_service(), packs=evidence_packs(), renderer=Templates(),
                          mailer=mailer(), links=pay_links, clock=utc_now, builds=pack_builds())


# --- staff: sign-in, roles, the team -------------------------------------------------------------------------

@functools.cache
def staff_auth() -> StaffAuth:
    from chalicelib.adapters.cognito import Jwks, issuer, jwks_url
    from chalicelib.services.staff import StaffAuth

    pool, client = settings().user_pool_id, settings().user_pool_client_id
    jwks = Jwks(jwks_url(pool, settings().cognito_endpoint)) if pool else None
    # Token expiry on the real clock, as Cognito stamps it: never the services' clock, which the demo moves.
    return StaffAuth(broker_auth(), jwks, issuer(pool) if pool else None, client, clock=lambda: wall_clock())


wall_clock = time.time


@functools.cache
def console_sessions() -> ConsoleSessions:
    from botocore import UNSIGNED
    from botocore.config import Config

    from chalicelib.adapters.cognito import CognitoSignIn
    from chalicelib.services.staff import ConsoleSessions

    # Cognito's public operations take no IAM credentials: sent unsigned, the role needs no grant for them.
    public = boto3.client("cognito-idp", region_name=settings().require("user_pool_id").split("_", 1)[0],
                          config=Config(signature_version=UNSIGNED))
    return ConsoleSessions(CognitoSignIn(public, settings().require("user_pool_client_id")), staff_auth())


@functools.cache
def staff_directory() -> StaffDirectory:
    from chalicelib.adapters.cognito import CognitoStaff
    from chalicelib.services.staff import StaffDirectory

    return StaffDirectory(CognitoStaff(aws("cognito-idp"), settings().require("user_pool_id")))


# --- the console's read models: case search, today, previews, settings ------------------------------------

if TYPE_CHECKING:
    from chalicelib.services.broker_settings import BrokerSettings
    from chalicelib.services.case_search import CaseSearch
    from chalicelib.services.policy_console import PolicyConsole
    from chalicelib.services.reminder_preview import NextReminder
    from chalicelib.services.today import Today


@functools.cache
def case_search() -> CaseSearch:
    from chalicelib.adapters.dynamo_search import DynamoCaseSearch
    from chalicelib.services.case_search import CaseSearch

    return CaseSearch(DynamoCaseSearch(aws("dynamodb"), settings().table_name), utc_now)


@functools.cache
def today() -> Today:
    from chalicelib.adapters.dynamo_search import DynamoCaseSearch
    from chalicelib.services.today import Today

    return Today(DynamoCaseSearch(aws("dynamodb"), settings().table_name), broker_time_zone, utc_now)


@functools.cache
def policy_console() -> PolicyConsole:
    from chalicelib.adapters.dynamo_policy import DynamoPolicyStore
    from chalicelib.services.policy_console import PolicyConsole

    return PolicyConsole(DynamoPolicyStore(aws("dynamodb"), settings().table_name), policy_service().policy_for,
                         utc_now)


PREVIEW_PAY_PATH = "/pay#preview"  # where a preview shows the pay link: the page, never a token


@functools.cache
def next_reminder() -> NextReminder:
    from chalicelib.adapters.templates import Templates
    from chalicelib.services.reminder_preview import NextReminder

    return NextReminder(sweep_index().get_case, policy_service().policy_for, Templates(), utc_now,
                        settings().require("site_url") + PREVIEW_PAY_PATH)


@functools.cache
def broker_settings() -> BrokerSettings:
    from chalicelib.adapters.dynamo_settings import DynamoBrokerSettings
    from chalicelib.services.broker_settings import BrokerSettings

    return BrokerSettings(broker_reader(), DynamoBrokerSettings(aws("dynamodb"), settings().table_name))


def broker_time_zone(broker_id: str) -> str:
    """The time zone of the broker's notification settings (UTC until they set one), cached per container."""
    return broker_notices().preferences(broker_id).timezone


@functools.cache
def report_service() -> ReportService:
    from chalicelib.adapters.dynamo_reports import DynamoReports
    from chalicelib.services.reports import ReportService

    return ReportService(DynamoReports(aws("dynamodb"), settings().table_name), policy_service(), broker_time_zone,
                         utc_now)
