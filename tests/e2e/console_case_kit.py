"""What the Case and Policy screens' journeys start from: a customer who disputed an invoice with a real PDF,
or said they already paid, made through the same customer API the pay page calls."""
from __future__ import annotations

from typing import Any

import requests

from tests.e2e.stack import Demo, admin_case, api_json, create_case


def delivery_note(text: str = "Delivery note 4711: 2 of 3 chairs delivered") -> bytes:
    """A real one-page PDF (the browser's viewer renders it, as it would a customer's scan)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def customer_token(case: dict[str, Any]) -> str:
    return str(case["pay_url"].split("#", 1)[1])


def disputed_case(demo: Demo, *, name: str, amount: int, disputed: int, pdf: bytes,
                  message: str = "Only two of the three chairs arrived.", **case: Any) -> dict[str, Any]:
    """A case whose customer disputed `disputed` minor units and attached `pdf` (POSTed to S3 as the page does)."""
    created = create_case(demo, name=name, amount=amount, **case)
    token = customer_token(created)
    status, answer = api_json(f"{demo.api_url}/customer/dispute", token, {
        "reason": "wrong_amount", "message": message, "amount": disputed})
    assert status == 201, answer
    status, slot = api_json(f"{demo.api_url}/customer/dispute/attachments", token, {
        "dispute_id": answer["dispute_id"], "content_type": "application/pdf", "filename": "delivery-note.pdf",
        "size": len(pdf)})
    assert status == 201, slot
    requests.post(slot["url"], data=slot["fields"], files={"file": ("delivery-note.pdf", pdf, "application/pdf")},
                  timeout=30).raise_for_status()
    return admin_case(demo, created["case_id"]) | {"pay_url": created["pay_url"]}


def already_paid_case(demo: Demo, *, name: str, amount: int, reference: str, paid_on: str) -> dict[str, Any]:
    """A case whose customer reported a bank transfer with `reference` on the pay page."""
    created = create_case(demo, name=name, amount=amount)
    status, answer = api_json(f"{demo.api_url}/customer/already-paid", customer_token(created), {
        "paid_on": paid_on, "method": "bank_transfer", "reference": reference})
    assert status == 201, answer
    return created
