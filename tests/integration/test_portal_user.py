"""`portal user invite|list|remove` against a moto server, as an operator runs them against the demo's moto."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from portal import cli, infra
from portal.local_aws import LocalResources, clients
from portal.staff_users import seed_user
from tests.moto_server import running_moto


@pytest.fixture
def endpoint() -> Iterator[str]:
    with running_moto() as url:
        yield url


def test_an_operator_invites_lists_and_removes_staff_of_a_broker(endpoint, capsys):
    cognito = clients(endpoint)("cognito-idp")
    pool, client_id = infra.create_staff_pool(cognito, LocalResources().staff_pool)
    seed_user(cognito, pool, "b1", "olga@acme.test", "Olga Owner", "owner")
    seed_user(cognito, pool, "b2", "other@else.test", "Someone Else", "owner")
    on_moto = ["--aws-endpoint", endpoint, "--broker", "b1"]

    assert cli.main(["user", "invite", "vic@acme.test", "--name", "Vic Viewer", "--role", "viewer", *on_moto]) == 0
    invited = capsys.readouterr().out
    assert "invited vic@acme.test as viewer" in invited
    temporary = re.search(r"temporary password (\S+)", invited)
    assert temporary  # locally no mail leaves moto: the operator hands it over
    signed_in = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "vic@acme.test", "PASSWORD": temporary.group(1)})
    assert signed_in["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    assert cli.main(["user", "list", *on_moto]) == 0
    listed = capsys.readouterr().out
    assert "olga@acme.test" in listed and "vic@acme.test" in listed and "other@else.test" not in listed
    assert re.search(r"viewer\s+invited\s+vic@acme.test", listed)

    assert cli.main(["user", "remove", "vic@acme.test", *on_moto]) == 0
    assert cli.main(["user", "remove", "olga@acme.test", *on_moto]) == 1  # the last owner stays
    assert "last owner" in capsys.readouterr().err
    assert cli.main(["user", "list", *on_moto]) == 0
    assert "vic@acme.test" not in capsys.readouterr().out
