"""SES event publishing, as SNS hands it to Lambda: a configuration set's Bounce and Complaint records
read into MailFeedback.

SNS delivers `{"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "<the SES record as JSON>"}}]}`;
the SES record (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html)
has `eventType` ("Bounce", "Complaint", ...), the `bounce` or `complaint` object, and `mail` with the
message id and the tags we sent it with (`{"broker": ["b1"], "case": ["c1"], ...}`). Identity-level
notifications name the field `notificationType` and carry no tags: read too, without a case.
"""
from __future__ import annotations

import json

from chalicelib.domain.mail_feedback import BOUNCE, COMPLAINT, MailFeedback

BROKER_TAG = "broker"  # the names services/notices.py email_tags gives
CASE_TAG = "case"


def read(message: str) -> MailFeedback | None:
    """The SES record in one SNS message; None for what needs no action (deliveries, transient bounces)."""
    record = json.loads(message)
    kind = record.get("eventType") or record.get("notificationType")
    mail = record.get("mail") or {}
    tags = mail.get("tags") or {}

    def tag(name: str) -> str | None:
        values = tags.get(name) or []
        return str(values[0]) if values else None

    if kind == "Bounce":
        bounce = record["bounce"]
        if bounce.get("bounceType") != "Permanent":  # SES retries transient bounces itself
            return None
        recipients = tuple(str(r["emailAddress"]) for r in bounce.get("bouncedRecipients", []))
        detail: tuple[tuple[str, str], ...] = (("bounce_type", str(bounce.get("bounceType"))),
                                               ("bounce_subtype", str(bounce.get("bounceSubType"))))
        return MailFeedback(BOUNCE, recipients, tag(BROKER_TAG), tag(CASE_TAG), str(bounce.get("feedbackId", "")),
                            str(mail.get("messageId", "")), detail)
    if kind == "Complaint":
        complaint = record["complaint"]
        recipients = tuple(str(r["emailAddress"]) for r in complaint.get("complainedRecipients", []))
        detail = (("feedback_type", str(complaint.get("complaintFeedbackType") or "unknown")),)
        return MailFeedback(COMPLAINT, recipients, tag(BROKER_TAG), tag(CASE_TAG),
                            str(complaint.get("feedbackId", "")), str(mail.get("messageId", "")), detail)
    return None
