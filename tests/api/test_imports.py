"""Bulk import through the API on moto: an upload slot, the file processed a chunk at a time by the
functions S3 and SQS trigger (delivered as AWS would by portal/import_trigger.py), progress, failed rows."""
from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

import boto3
import pytest
import requests

from chalicelib import bootstrap
from portal import infra
from portal.import_trigger import ImportTrigger
from tests.conftest import IMPORTS as BUCKET
from tests.conftest import case_body, get, post

HEADER = "customer_name,customer_email,invoice_number,amount,currency,issued_on,due_on\n"


@pytest.fixture
def trigger(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> ImportTrigger:
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    url = infra.create_function_queue(sqs, "ImportQueue", "imports-test")
    monkeypatch.setenv("IMPORT_QUEUE_URL", url)
    monkeypatch.setenv("IMPORT_CHUNK_ROWS", "3")  # several chunks even for a short file
    bootstrap.reset()
    return ImportTrigger(s3, sqs, BUCKET, url)


def upload(client: Any, key: str, data: bytes, path: str = "/admin/imports", body: Any = None) -> dict[str, Any]:
    started = post(client, path, key, body or {"filename": "invoices.csv"})
    assert started.status_code == 201, started.json_body
    slot = started.json_body["upload"]
    sent = requests.post(slot["url"], data=slot["fields"], files={"file": ("invoices.csv", data, "text/csv")},
                         timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    return started.json_body


def run(trigger: ImportTrigger, client: Any, key: str, import_id: str) -> dict[str, Any]:
    """Deliver S3 events and queued chunks until the import is over (each round is one Lambda call)."""
    for _ in range(500):
        status = get(client, f"/admin/imports/{import_id}", key).json_body
        if status["status"] in ("finished", "failed"):
            return status
        assert trigger.deliver(), f"nothing left to deliver, yet the import is {status['status']}"
    raise AssertionError("the import never ended")


def imported(trigger: ImportTrigger, client: Any, key: str, data: bytes, **options: Any) -> dict[str, Any]:
    started = upload(client, key, data, **options)
    return run(trigger, client, key, started["import_id"])


def cases(client: Any, key: str) -> dict[str, dict[str, Any]]:
    listed = get(client, "/admin/cases?limit=100", key).json_body["items"]
    return {c["invoice"]["number"]: c for c in listed}


def rows(n: int, start: int = 1) -> bytes:
    return "".join(f"Customer {i},c{i}@example.test,INV-{i},{i}00.50,EUR,2026-10-01,2026-10-31\n"
                   for i in range(start, start + n)).encode()


def test_a_file_is_imported_a_chunk_at_a_time_with_its_progress(client, broker, trigger):
    _, key = broker
    started = upload(client, key, (HEADER).encode() + rows(8))
    policy = json.loads(base64.b64decode(started["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1, 50 * 1024 * 1024] in policy["conditions"]
    assert started["status"] == "waiting_for_upload" and started["filename"] == "invoices.csv"

    seen = []
    for _ in range(20):
        status = get(client, f"/admin/imports/{started['import_id']}", key).json_body
        seen.append((status["status"], status["rows_done"]))
        if status["status"] == "finished":
            break
        trigger.deliver()
    # Scanned whole first (nothing created), then 3 rows per chunk: 3, 6, 8.
    assert seen == [("waiting_for_upload", 0), ("importing", 0), ("importing", 3), ("importing", 6),
                    ("finished", 8)]
    assert {k: status[k] for k in ("rows_total", "created", "skipped", "failed", "updated")} == {
        "rows_total": 8, "created": 8, "skipped": 0, "failed": 0, "updated": 0}
    made = cases(client, key)
    assert sorted(made) == sorted(f"INV-{i}" for i in range(1, 9))
    assert made["INV-3"]["invoice"]["amount"] == 30050 and made["INV-3"]["customer"]["name"] == "Customer 3"


def test_the_same_file_twice_creates_nothing_twice(client, broker, trigger):
    _, key = broker
    data = HEADER.encode() + rows(5)
    first = imported(trigger, client, key, data)
    second = imported(trigger, client, key, data)
    assert (first["created"], first["skipped"]) == (5, 0)
    assert (second["created"], second["skipped"], second["rows_done"]) == (0, 5, 5)
    assert len(cases(client, key)) == 5


def test_amounts_are_converted_exactly_with_each_currencys_exponent(client, broker, trigger):
    _, key = broker
    data = HEADER + "\n".join([
        "A,a@example.test,INV-EUR,1250.00,EUR,2026-10-01,2026-10-31",
        'B,b@example.test,INV-EUR2,"1,250.5",EUR,2026-10-01,2026-10-31',
        "C,c@example.test,INV-JPY,5000,JPY,2026-10-01,2026-10-31",
        "D,d@example.test,INV-KWD,1.234,KWD,2026-10-01,2026-10-31",
        "E,e@example.test,INV-CENT,0.10,USD,2026-10-01,2026-10-31",
        "F,f@example.test,INV-BIG,99999999999.99,USD,2026-10-01,2026-10-31",
        "G,g@example.test,INV-JPY2,5000.5,JPY,2026-10-01,2026-10-31",
        "H,h@example.test,INV-EUR3,12.345,EUR,2026-10-01,2026-10-31",
    ]) + "\n"
    status = imported(trigger, client, key, data.encode())
    made = cases(client, key)
    assert {n: c["invoice"]["amount"] for n, c in made.items()} == {
        "INV-EUR": 125000, "INV-EUR2": 125050, "INV-JPY": 5000, "INV-KWD": 1234, "INV-CENT": 10,
        "INV-BIG": 9999999999999}
    assert [(f["row"], f["field"], f["column"], f["message"]) for f in status["failures"]] == [
        (8, "invoice.amount", "amount", "has more decimals than JPY has (0)"),
        (9, "invoice.amount", "amount", "has more decimals than EUR has (2)")]


BAD_VALUES = [  # (column value overrides in the file, the same value in a POST /admin/cases body)
    ({"customer_email": "not-an-email"}, {"customer__email": "not-an-email"}),
    ({"currency": "XXX"}, {"invoice__currency": "XXX"}),
    ({"due_on": "2026-09-01"}, {"invoice__due_on": "2026-09-01"}),
    ({"issued_on": "2026-02-30"}, {"invoice__issued_on": "2026-02-30"}),
    ({"amount": "-5.00"}, {"invoice__amount": -500}),
    ({"invoice_number": "INV 7"}, {"invoice__number": "INV 7"}),
    ({"customer_name": ""}, {"customer__name": None}),
]


def test_a_bad_value_fails_its_row_with_the_message_the_api_gives_for_it(client, broker, trigger):
    _, key = broker
    good = {"customer_name": "Jane", "customer_email": "jane@example.test", "invoice_number": "INV-0",
            "amount": "10.00", "currency": "EUR", "issued_on": "2026-10-01", "due_on": "2026-10-31"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(good), lineterminator="\n")
    writer.writeheader()
    for n, (cells, _) in enumerate(BAD_VALUES, start=1):
        writer.writerow({**good, "invoice_number": f"INV-{n}", **cells})
    status = imported(trigger, client, key, out.getvalue().encode())

    expected = []
    for n, (_, overrides) in enumerate(BAD_VALUES, start=1):
        body = case_body(**{"invoice__number": f"INV-{n}",
                            **{k: v for k, v in overrides.items() if v is not None}})
        if overrides.get("customer__name", "") is None:
            del body["customer"]["name"]
        answer = post(client, "/admin/cases", key, body).json_body["error"]
        expected.append((n + 1, answer["field"], answer["message"]))
    assert [(f["row"], f["field"], f["message"]) for f in status["failures"]] == expected
    assert status["failed"] == len(BAD_VALUES) and status["created"] == 0
    assert cases(client, key) == {}


def test_spreadsheet_files_bom_crlf_semicolons_decimal_commas_and_quoted_line_breaks(client, broker, trigger):
    _, key = broker
    mapping = {"preset": "portal", "decimal": ",", "date_format": "DD.MM.YYYY", "defaults": {"currency": "EUR"}}
    text = ("customer_name;customer_email;invoice_number;amount;issued_on;due_on;description;notes\r\n"
            '"Müller; Söhne, GmbH";m@example.test;INV-1;1.250,00;01.10.2026;31.10.2026;Beratung;'
            '"Rückruf\r\nam Montag"\r\n'
            '"=HYPERLINK(""http://x.test"";""click"")";f@example.test;INV-2;"12,5";01.10.2026;31.10.2026;;\r\n'
            "\r\n"
            "Bad;bad;INV-3;1,00;01.10.2026;31.10.2026;;\r\n")
    status = imported(trigger, client, key, b"\xef\xbb\xbf" + text.encode(), body={"mapping": mapping})
    made = cases(client, key)
    assert made["INV-1"]["customer"]["name"] == "Müller; Söhne, GmbH"
    assert made["INV-1"]["invoice"] == {**made["INV-1"]["invoice"], "amount": 125000, "currency": "EUR",
                                        "issued_on": "2026-10-01", "description": "Beratung"}
    assert made["INV-2"]["customer"]["name"] == '=HYPERLINK("http://x.test";"click")'  # stored as the text it is
    assert made["INV-2"]["invoice"]["amount"] == 1250
    # The quoted line break keeps its record on one spreadsheet row; the blank row still counts as a row.
    assert [(f["row"], f["column"]) for f in status["failures"]] == [(5, "customer_email")]
    assert status["rows_total"] == 3


def test_failed_rows_come_back_as_a_csv_to_fix_with_formulas_neutralised(client, broker, trigger):
    _, key = broker
    data = (HEADER + "=cmd|' /C calc'!A0,x@example.test,INV-1,10.00,EUR,2026-10-01,2026-10-31\n"
            "Fine,fine@example.test,INV-2,10.00,EUR,2026-10-01,2026-10-31\n"
            '"@SUM(1,2)",bad-email,INV-3,-1.00,EUR,2026-10-01,2026-10-31\n').encode()
    status = imported(trigger, client, key, data)
    assert (status["created"], status["failed"]) == (2, 1)
    answer = client.http.get(f"/admin/imports/{status['import_id']}/failed.csv",
                             headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    got = list(csv.reader(io.StringIO(answer.body.decode())))
    assert got[0] == HEADER.strip().split(",") + ["error"]
    assert got[1][:5] == ["'@SUM(1,2)", "bad-email", "INV-3", "'-1.00", "EUR"]
    assert got[1][-1] == f"row 4: customer_email: {status['failures'][0]['message']}"
    assert cases(client, key)["INV-1"]["customer"]["name"] == "=cmd|' /C calc'!A0"


def test_xero_and_quickbooks_exports_import_with_their_presets(client, broker, trigger):
    _, key = broker
    xero = ("*ContactName,EmailAddress,POAddressLine1,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,Total,"
            "InvoiceAmountDue,Currency\n"
            "Acme Ltd,ap@acme.test,1 Road,INV-0042,PO 7,05/10/2026,04/11/2026,1500.00,1250.00,GBP\n"
            "Acme Ltd,ap@acme.test,1 Road,INV-0042,PO 7,05/10/2026,04/11/2026,1500.00,1250.00,GBP\n")
    status = imported(trigger, client, key, xero.encode(), path="/admin/imports?mapping=xero")
    assert (status["created"], status["skipped"]) == (1, 1)  # a second line of the same invoice: skipped
    made = cases(client, key)["INV-0042"]
    assert (made["invoice"]["amount"], made["invoice"]["due_on"], made["customer"]["email"]) == (
        125000, "2026-11-04", "ap@acme.test")

    quickbooks = ("Customer,Customer Email,Invoice No.,Invoice Date,Due Date,Open Balance,Currency\n"
                  'Bolt Inc,pay@bolt.test,1007,10/05/2026,11/04/2026,"2,000.00",USD\n')
    status = imported(trigger, client, key, quickbooks.encode(), path="/admin/imports?mapping=quickbooks")
    assert status["created"] == 1
    assert cases(client, key)["1007"]["invoice"]["issued_on"] == "2026-10-05"


def test_a_saved_mapping_is_used_by_name(client, broker, trigger):
    _, key = broker
    saved = client.http.put("/admin/import-mappings/my-erp", headers={"Authorization": f"Bearer {key}"},
                            body=json.dumps({"columns": {"customer_name": "Kunde", "customer_email": "E-Mail",
                                                         "invoice_number": "Rechnung", "amount": "Betrag",
                                                         "issued_on": "Datum", "due_on": "Fällig"},
                                             "decimal": ",", "date_format": "DD.MM.YYYY",
                                             "defaults": {"currency": "EUR", "locale": "de",
                                                          "timezone": "Europe/Berlin"}}))
    assert saved.status_code == 200, saved.json_body
    listed = get(client, "/admin/import-mappings", key).json_body
    assert listed["saved"]["my-erp"]["columns"]["amount"] == ["Betrag"] and "xero" in listed["presets"]
    data = "Kunde;E-Mail;Rechnung;Betrag;Datum;Fällig\nHans;h@example.test;R-1;99,90;01.10.2026;15.10.2026\n"
    status = imported(trigger, client, key, data.encode(), path="/admin/imports?mapping=my-erp")
    assert status["created"] == 1
    customer = get(client, f"/admin/cases/{cases(client, key)['R-1']['case_id']}", key).json_body["customer"]
    assert (customer["locale"], customer["timezone"]) == ("de", "Europe/Berlin")

    unknown = post(client, "/admin/imports?mapping=nope", key, {})
    assert unknown.status_code == 400 and unknown.json_body["error"]["field"] == "mapping"
    builtin = client.http.put("/admin/import-mappings/xero", headers={"Authorization": f"Bearer {key}"},
                              body=json.dumps({"decimal": ","}))
    assert builtin.status_code == 400 and builtin.json_body["error"]["field"] == "name"


def test_update_true_changes_contact_details_only(client, broker, trigger):
    _, key = broker
    imported(trigger, client, key, HEADER.encode() + rows(1))
    case_id = cases(client, key)["INV-1"]["case_id"]
    changed = HEADER + "New Name,new@example.test,INV-1,999.00,EUR,2026-01-01,2026-12-31\n"
    skipped = imported(trigger, client, key, changed.encode())
    assert (skipped["skipped"], skipped["updated"]) == (1, 0)
    status = imported(trigger, client, key, changed.encode(), path="/admin/imports?update=true")
    assert (status["updated"], status["skipped"]) == (1, 0)
    case = get(client, f"/admin/cases/{case_id}", key).json_body
    assert (case["customer"]["name"], case["customer"]["email"]) == ("New Name", "new@example.test")
    assert (case["invoice"]["amount"], case["invoice"]["due_on"]) == (10050, "2026-10-31")  # amounts stay
    assert [e["data"] for e in case["events"] if e["type"] == "customer_updated"] == [
        {"fields": ["name", "email"], "source": "import"}]
    again = imported(trigger, client, key, changed.encode(), path="/admin/imports?update=true")
    assert (again["updated"], again["skipped"]) == (0, 1)  # nothing left to change


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml" + bytes(range(256)) * 40, "holds binary data"),  # xlsx
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "row 1 is not UTF-8 text"),
    (HEADER.encode() + "Zoë,z@example.test,INV-1,1.00,EUR,2026-10-01,2026-10-31\n".encode("latin-1"),
     "row 2 is not UTF-8 text"),
    (bytes((i * 7919) % 251 + 1 for i in range(3 * 1024 * 1024)).replace(b"\n", b"x").replace(b'"', b"y"),
     "row 1 is longer than 64 KB"),
    (b"name,email\nJane,j@example.test\n", "the header has no column for customer.name"),
    (HEADER.encode(), "the file has a header but no rows"),
    (HEADER.encode() + rows(3) + b'Open,o@example.test,"INV-9,1.00,EUR,2026-10-01,2026-10-31\n', "never closes"),
])
def test_a_file_that_is_not_a_csv_of_invoices_fails_whole_and_creates_nothing(client, broker, trigger, data,
                                                                                message):
    _, key = broker
    status = imported(trigger, client, key, data)
    assert status["status"] == "failed" and message in status["message"]
    assert status["created"] == 0 and cases(client, key) == {}


def test_a_file_over_the_row_limit_fails_before_anything_is_created(client, broker, trigger):
    _, key = broker
    # The documented limit, 100,000 rows, and one more at the very end of the file.
    data = HEADER.encode() + rows(100_001)
    status = imported(trigger, client, key, data)
    assert status["status"] == "failed"
    assert status["message"] == "the file has more than 100,000 rows (the limit): split it and upload each part"
    assert cases(client, key) == {}


def test_a_file_over_the_size_limit_fails_unread(client, broker, trigger, monkeypatch):
    _, key = broker
    monkeypatch.setenv("IMPORT_MAX_BYTES", "1000")
    bootstrap.reset()
    status = imported(trigger, client, key, HEADER.encode() + rows(40))
    assert status["status"] == "failed" and "the limit is 1,000" in status["message"]
    assert cases(client, key) == {}


def test_another_brokers_import_is_not_found(client, broker, other_broker, trigger):
    _, key = broker
    started = upload(client, key, HEADER.encode() + rows(1))
    assert get(client, f"/admin/imports/{started['import_id']}", other_broker[1]).status_code == 404
    assert get(client, "/admin/imports/impnothing", key).status_code == 404


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/admin/imports?update=yes", {}, "update"),
    ("/admin/imports?mapping=Not%20A%20Name", {}, "mapping"),
    ("/admin/imports?color=red", {}, "color"),
    ("/admin/imports", {"mapping": {"decimal": ";"}}, "mapping"),
    ("/admin/imports", {"mapping": {"columns": {"amount": ""}}}, "mapping"),
    ("/admin/imports", {"update": "true"}, "update"),
    ("/admin/imports", {"filename": "a\u202eb.csv"}, "filename"),
    ("/admin/imports", {"sheet": 1}, "sheet"),
])
def test_a_bad_import_request_is_a_400_naming_the_field_and_starts_nothing(client, broker, path, body, field):
    _, key = broker
    answer = post(client, path, key, body)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field, answer.json_body
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("KeyCount")
    assert not listed


def test_a_bad_mapping_is_a_400_naming_the_field(client, broker):
    _, key = broker
    for body, field in (({"columns": {"amount": 5}}, "columns.amount"), ({"defaults": {"currency": "EURO"}},
                                                                          "defaults.currency"),
                        ({"date_format": "YY"}, "date_format"), ({"preset": "sage"}, "preset")):
        answer = client.http.put("/admin/import-mappings/mine", headers={"Authorization": f"Bearer {key}"},
                                 body=json.dumps(body))
        assert answer.status_code == 400 and answer.json_body["error"]["field"] == field, answer.json_body
    assert get(client, "/admin/import-mappings", key).json_body["saved"] == {}


def test_a_file_replaced_through_the_same_slot_mid_import_fails_the_import_rather_than_mix_two_files(
        client, broker, trigger):
    _, key = broker
    started = upload(client, key, HEADER.encode() + rows(7))
    trigger.deliver()  # the S3 event: scanned, 7 rows
    trigger.deliver()  # the first chunk: 3 rows
    slot = started["upload"]
    again = requests.post(slot["url"], data=slot["fields"],
                          files={"file": ("other.csv", HEADER.encode() + rows(7, start=100), "text/csv")}, timeout=30)
    assert again.status_code in (200, 201, 204)
    status = run(trigger, client, key, started["import_id"])
    assert status["status"] == "failed"
    assert status["message"] == "the file was replaced during the import: start a new import for it"
    assert sorted(cases(client, key)) == ["INV-1", "INV-2", "INV-3"]  # what was created before is reported
    assert status["created"] == 3


def test_failed_rows_are_listed_a_hundred_at_a_time_in_row_order(client, broker, trigger, monkeypatch):
    _, key = broker
    monkeypatch.setenv("IMPORT_CHUNK_ROWS", "500")
    bootstrap.reset()
    data = HEADER + "".join(f"C{i},bad{i},INV-{i},1.00,EUR,2026-10-01,2026-10-31\n" for i in range(105))
    status = imported(trigger, client, key, data.encode())
    assert status["failed"] == 105 and len(status["failures"]) == 100 and status["failures_after"] == 101
    rest = get(client, f"/admin/imports/{status['import_id']}?after=101", key).json_body
    assert [f["row"] for f in rest["failures"]] == [102, 103, 104, 105, 106] and rest["failures_after"] is None
    last_hundred = get(client, f"/admin/imports/{status['import_id']}?after=6", key).json_body
    assert len(last_hundred["failures"]) == 100 and last_hundred["failures_after"] is None  # nothing after


def test_an_import_that_ends_tells_the_brokers_webhook_once_with_its_counts(client, broker, trigger, receiver,
                                                                             webhook_env):
    from tests.api.webhook_kit import pump, register

    _, key = broker
    register(client, key, receiver, ["import.finished"])
    status = imported(trigger, client, key, HEADER.encode() + rows(3) + b"Bad,bad,INV-9,1.234,EUR,2026-10-01,x\n")
    pump(webhook_env)
    [got] = receiver.inbox.received
    body = json.loads(got.body)
    assert got.verified and got.type == "import.finished"
    assert body["data"]["import_id"] == status["import_id"] and body["data"]["status"] == "finished"
    assert (body["data"]["created"], body["data"]["failed"]) == (3, 1)
