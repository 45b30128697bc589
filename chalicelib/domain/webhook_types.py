"""The webhook event types and the one table from a case history's event kind to them. No imports:
the request schemas publish EVENT_TYPES, and every cold start reads them."""
from __future__ import annotations

# The one table from a case history's event kind to the webhook type brokers subscribe to.
CASE_EVENT_TYPES: dict[str, str] = {
    "case_opened": "case.opened",
    "reminder_sent": "reminder.sent",
    "payment_received": "payment.received",
    "installment_paid": "payment.received",  # a plan's installment is money received too
    "payment_refunded": "payment.refunded",
    "chargeback_opened": "chargeback.opened",
    "chargeback_closed": "chargeback.closed",
    "plan_started": "plan.started",
    "plan_defaulted": "plan.defaulted",
    "plan_completed": "plan.completed",
    "promise_made": "promise.made",
    "promise_missed": "promise.missed",
    "dispute_opened": "dispute.opened",
    "dispute_resolved": "dispute.resolved",
    "escalated": "case.escalated",
    "written_off": "case.written_off",
}
BROKER_EVENT_TYPES = ("import.finished",)
TEST_TYPE = "webhook.test"  # only ever sent to the one endpoint that asked for it
EVENT_TYPES = tuple(sorted({*CASE_EVENT_TYPES.values(), *BROKER_EVENT_TYPES}))
