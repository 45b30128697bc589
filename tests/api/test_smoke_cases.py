from __future__ import annotations

from tests.conftest import auth, case_body, post


def test_create_read_and_open_a_case(client, broker):
    _, key = broker
    created = post(client, "/admin/cases", key, case_body())
    assert created.status_code == 201, created.json_body
    case = created.json_body
    assert case["balance"]["due"] == 125000
    assert case["pay_url"].startswith("http://site.test/pay#")
    token = case["pay_url"].split("#", 1)[1]

    fetched = client.http.get(f"/admin/cases/{case['case_id']}", headers=auth(key))
    assert fetched.status_code == 200
    assert [e["type"] for e in fetched.json_body["events"]] == ["case_opened", "link_issued"]

    seen = client.http.get("/customer/case", headers={"Authorization": f"Bearer {token}"})
    assert seen.status_code == 200, seen.json_body
    assert seen.json_body["invoice"]["number"] == "INV-1001"
