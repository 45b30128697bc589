"""Money going back: refunds (an API call) and disputes (raised by the card holder's bank: test hooks)."""

from __future__ import annotations

from typing import Any

from portal.stripe_standin import money
from portal.stripe_standin.errors import invalid_request
from portal.stripe_standin.objects import new_id
from portal.stripe_standin.state import Account

DISPUTE_RESPONSE_WINDOW = 7 * 24 * 60 * 60


def create_refund(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    charge = _refundable_charge(account, params)
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid_request(f"Charge {charge['id']} has already been refunded.", "charge",
                              "charge_already_refunded")
    amount = params.get("amount", remaining)
    if amount < 1:
        raise invalid_request("This value must be greater than or equal to 1.", "amount")
    if amount > remaining:
        raise invalid_request(
            f"Refund amount ({money.display(amount, charge['currency'])}) is greater than unrefunded amount "
            f"on charge ({money.display(remaining, charge['currency'])})", "amount")
    refund = account.build(
        "refund", amount=amount, currency=charge["currency"], charge=charge["id"],
        payment_intent=charge["payment_intent"], customer=charge["customer"],
        payment_method=charge["payment_method"], reason=params.get("reason"),
        metadata=params.get("metadata", {}), status="succeeded", balance_transaction=new_id("txn_"))
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    refunds = charge["refunds"]
    refunds["data"].insert(0, dict(refund))
    refunds["total_count"] = len(refunds["data"])
    account.emit("charge.refunded", charge, previous_attributes=previous)
    return refund


def _refundable_charge(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    if "payment_intent" in params and "charge" in params:
        raise invalid_request("You may only specify one of these parameters: charge, payment_intent.",
                              "payment_intent")
    if "payment_intent" in params:
        intent = account.get("payment_intent", params["payment_intent"], "payment_intent")
        charge = account.objects.get(intent["latest_charge"] or "")
        if intent["status"] != "succeeded" or charge is None:
            raise invalid_request(f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                                  "to refund.", "payment_intent")
        return charge
    if "charge" in params:
        charge = account.get("charge", params["charge"], "charge")
        if charge["status"] != "succeeded":
            raise invalid_request(f"Charge {charge['id']} has not succeeded and cannot be refunded.", "charge")
        return charge
    raise invalid_request("One of the following params should be provided for this request: "
                          "payment_intent or charge.")


def open_dispute(account: Account, charge_id: str, reason: str = "fraudulent") -> dict[str, Any]:
    """The card holder disputes `charge_id`: `charge.dispute.created`, funds held for the dispute."""
    charge = account.get("charge", charge_id, "charge")
    dispute = account.build(
        "dispute", amount=charge["amount"] - charge["amount_refunded"], currency=charge["currency"],
        charge=charge["id"], payment_intent=charge["payment_intent"], reason=reason,
        status="needs_response", is_charge_refundable=False, balance_transactions=[],
        enhanced_eligibility_types=[])
    dispute["evidence_details"].update(due_by=account.now() + DISPUTE_RESPONSE_WINDOW, has_evidence=False,
                                       past_due=False, submission_count=0)
    dispute["payment_method_details"]["card"].update(brand=charge["payment_method_details"]["card"]["brand"],
                                                     case_type="chargeback")
    charge["disputed"] = True
    account.emit("charge.dispute.created", dispute)
    return dispute


def close_dispute(account: Account, dispute_id: str, status: str) -> dict[str, Any]:
    """The bank decided: `status` is "won" or "lost"; emits `charge.dispute.closed`."""
    if status not in ("won", "lost"):
        raise ValueError(f"a dispute closes as won or lost, not {status!r}")
    dispute = account.get("dispute", dispute_id, "dispute")
    previous = {"status": dispute["status"]}
    dispute["status"] = status
    account.emit("charge.dispute.closed", dispute, previous_attributes=previous)
    return dispute
