"""Every DynamoDB key of the single table is built here, and every one includes the broker."""
from __future__ import annotations

import hashlib

CASE_SK = "CASE"
PROFILE_SK = "PROFILE"
SWEEP_SHARDS = 8  # spreads the next-action index so no partition runs hot


def broker_pk(broker_id: str) -> str:
    return f"BROKER#{broker_id}"


def case_pk(broker_id: str, case_id: str) -> str:
    return f"BROKER#{broker_id}#CASE#{case_id}"


def case_pk_prefix(broker_id: str | None) -> str:
    """What every case partition of `broker_id` (or, with None, of any broker) begins with."""
    return case_pk(broker_id, "") if broker_id else "BROKER#"


def pack_job_key(broker_id: str, case_id: str, pack_id: str) -> dict[str, str]:
    """A case's evidence pack builds: their own partition, never the case's (whose Query reads the timeline)."""
    return {"PK": f"PACKS#{broker_id}#{case_id}", "SK": f"PACK#{pack_id}"}


def parse_case_pk(pk: str) -> tuple[str, str]:
    _, broker_id, _, case_id = pk.split("#", 3)
    return broker_id, case_id


def event_sk(seq: int) -> str:
    return f"EVENT#{seq:010d}"


EVENT_PREFIX = "EVENT#"


def api_key_sk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def invoice_key(broker_id: str, number: str) -> dict[str, str]:
    return {"PK": f"BROKER#{broker_id}#INVOICE#{number}", "SK": "INVOICE"}


def idempotency_key(broker_id: str, key: str) -> dict[str, str]:
    return {"PK": f"BROKER#{broker_id}#IDEMPOTENCY#{key}", "SK": "IDEMPOTENCY"}


def cases_by_broker(broker_id: str, status: str | None = None) -> str:
    """Partition of the listing index: all of a broker's cases, or those in one status."""
    return f"BROKER#{broker_id}" if status is None else f"BROKER#{broker_id}#STATUS#{status}"


def listing_sk(created_at: str, case_id: str) -> str:
    return f"{created_at}#{case_id}"


def sweep_shard(case_id: str) -> int:
    return int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16) % SWEEP_SHARDS


def report_pk(broker_id: str, shard: int) -> str:
    """One of a broker's copies of its report counters (report_figures.SHARDS)."""
    return f"BROKER#{broker_id}#REPORT#{shard}"


def sweep_pk(shard: int) -> str:
    return f"SWEEP#{shard}"


def sweep_sk(next_action_at: str, broker_id: str, case_id: str) -> str:
    return f"{next_action_at}#{broker_id}#{case_id}"


# --- reminder policy: one item per version, in the broker's partition (newest = highest SK) ---------

POLICY_PREFIX = "POLICY#"


def policy_sk(version: int) -> str:
    return f"{POLICY_PREFIX}{version:010d}"


def sweep_bound(now_iso: str) -> str:
    """Upper bound (exclusive) of the sweep index's sort keys due at `now_iso`: '$' sorts right after '#'."""
    return f"{now_iso}$"


# --- payments ---------------------------------------------------------------------------------------

def stripe_event_key(broker_id: str, event_id: str) -> dict[str, str]:
    """A Stripe event already acted on: written in the same transaction as the case change it made."""
    return {"PK": f"BROKER#{broker_id}#STRIPE_EVENT#{event_id}", "SK": "STRIPE_EVENT"}


# --- outbound webhooks: endpoints in the broker's partition, deliveries per endpoint, a sharded outbox ----

WEBHOOK_PREFIX = "WEBHOOK#"
DELIVERY_PREFIX = "DELIVERY#"
OUTBOX_SHARDS = 8


def webhook_sk(endpoint_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{endpoint_id}"


def deliveries_pk(broker_id: str, endpoint_id: str) -> str:
    return f"BROKER#{broker_id}#WEBHOOK#{endpoint_id}"


def delivery_sk(created: str, event_id: str) -> str:
    """Newest last by the event's time, and exact from what a queued message carries."""
    return f"{DELIVERY_PREFIX}{created}#{event_id}"


def outbox_pk(event_id: str) -> str:
    """Events waiting for the relay, spread over a few partitions it reads in turn."""
    return f"OUTBOX#{int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16) % OUTBOX_SHARDS}"


def outbox_shards() -> list[str]:
    return [f"OUTBOX#{shard}" for shard in range(OUTBOX_SHARDS)]


def outbox_sk(created: str, broker_id: str, event_id: str) -> str:
    return f"{created}#{broker_id}#{event_id}"


def emitted_key(broker_id: str, event_id: str) -> dict[str, str]:
    """A broker-level webhook event already emitted (its work may run again)."""
    return {"PK": f"BROKER#{broker_id}#WEBHOOK_EVENT#{event_id}", "SK": "WEBHOOK_EVENT"}


# --- email suppression: addresses SES bounced or complained about, per broker ------------------------

def suppression_key(broker_id: str, address: str) -> dict[str, str]:
    """Keyed by a hash of the lower-cased address, so the key itself never carries it."""
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()
    return {"PK": f"BROKER#{broker_id}#SUPPRESSED#{digest}", "SK": "SUPPRESSED"}


# --- bulk imports: the job and its failed rows share a partition; saved mappings in the broker's ---------

IMPORT_SK = "IMPORT"
IMPORT_FAILURE_PREFIX = "FAILED#"
IMPORT_MAPPING_PREFIX = "IMPORT_MAPPING#"


def import_pk(broker_id: str, import_id: str) -> str:
    return f"BROKER#{broker_id}#IMPORT#{import_id}"


def import_failure_sk(row: int) -> str:
    return f"{IMPORT_FAILURE_PREFIX}{row:010d}"


def import_mapping_sk(name: str) -> str:
    return f"{IMPORT_MAPPING_PREFIX}{name}"


# --- collections partners: one item each in the broker's partition -----------------------------------

PARTNER_PREFIX = "PARTNER#"


def partner_sk(partner_id: str) -> str:
    return f"{PARTNER_PREFIX}{partner_id}"


# --- broker notifications: preferences, the broker's notice log, the digest schedule ----------------

NOTIFICATIONS_SK = "NOTIFICATIONS"
DIGEST_DUE_PK = "DIGEST_DUE"  # one item per broker with a digest, sorted by when it is next due


def notice_log_pk(broker_id: str) -> str:
    return f"BROKER#{broker_id}#NOTICES"


def notice_log_sk(at: str, ref: str) -> str:
    return f"LOG#{at}#{ref}"


def promise_sk(pay_by: str, case_id: str) -> str:
    return f"PROMISE#{pay_by}#{case_id}"


def digest_sent_sk(due_at: str) -> str:
    return f"DIGEST#{due_at}"


def digest_due_sk(at: str, broker_id: str) -> str:
    return f"{at}#{broker_id}"


# --- the console: cases that need a person (sparse), and the broker's case listing in four orders ------

def attention_sk(since: str, case_id: str) -> str:
    return f"{since}#{case_id}"


SORTS = {"due_date": "DueSK", "balance": "BalanceSK", "customer": "NameSK", "updated_at": "UpdatedSK"}
SORT_INDEXES = {"due_date": "by_due", "balance": "by_balance", "customer": "by_customer", "updated_at": "by_updated"}


def sort_keys(due_on: str, due: int, name: str, updated_at: str, case_id: str) -> dict[str, str]:
    """One sort key per order of the listing; each ends with the case id so equal values still page exactly."""
    return {"DueSK": f"{due_on}#{case_id}", "BalanceSK": f"{due:019d}#{case_id}",
            "NameSK": f"{name.casefold()[:200]}#{case_id}", "UpdatedSK": f"{updated_at}#{case_id}"}
