"""The words of the domain, in a module with no imports: request schemas need them at cold start."""
from __future__ import annotations

ACTORS = ("broker", "customer", "system", "stripe")
STATUSES = ("open", "promised", "on_plan", "disputed", "escalated", "paid", "written_off")
NOTE_KINDS = ("call", "email", "meeting", "note")
LOCALES = ("en", "es", "fr", "de")
BROKER_NOTICES = ("dispute", "already_paid", "plan_defaulted", "escalation", "email_bounced", "currency_mismatch",
                  "large_payment", "payment")
NOTICE_DELIVERIES = ("immediate", "digest", "off")
