"""Broker staff in the Cognito pool, for the operator and the local stack: `portal user invite|remove|list`,
and the demo's three users (one per role) who sign in with a known password."""
from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from chalicelib.adapters.cognito import BROKER_ATTRIBUTE, CognitoStaff
from chalicelib.domain.staff import ROLES, Principal
from chalicelib.services.staff import StaffDirectory
from portal.target import Target
from portal.terminal import output, safe

DEMO_PASSWORD = "Demo-console-2026"  # the local stack only; meets the pool's password policy
DEMO_USERS = (("owner@demo.example", "Olivia Owner", "owner"),
              ("collector@demo.example", "Colin Collector", "collector"),
              ("viewer@demo.example", "Vera Viewer", "viewer"))


def seed_user(cognito: Any, pool_id: str, broker_id: str, email: str, name: str, role: str,
              password: str = DEMO_PASSWORD) -> str:
    """A user who can sign in at once with `password` (no invitation, no temporary password); their id."""
    created = cognito.admin_create_user(
        UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS", TemporaryPassword=password,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                        {"Name": "name", "Value": name}, {"Name": BROKER_ATTRIBUTE, "Value": broker_id}])["User"]
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=created["Username"], Password=password,
                                    Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=created["Username"], GroupName=role)
    return str(created["Username"])


def seed_demo_users(cognito: Any, pool_id: str, broker_id: str) -> None:
    for email, name, role in DEMO_USERS:
        seed_user(cognito, pool_id, broker_id, email, name, role)


def find_pool(cognito: Any, name: str) -> str | None:
    """The pool called `name` (the local stack names its pool; a stage's is in its functions' environment)."""
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return str(pool["Id"])
    return None


# --- `portal user ...` ----------------------------------------------------------------------------------

def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser("user", help="broker staff who sign in to the console").add_subparsers(
        dest="action", required=True)
    broker = argparse.ArgumentParser(add_help=False)
    broker.add_argument("--broker", help="the broker (default: the running demo's broker)")
    invite = user.add_parser("invite", parents=[*parents, broker],
                             help="invite someone: Cognito emails a temporary password (the demo prints it)")
    invite.add_argument("email")
    invite.add_argument("--name", required=True)
    invite.add_argument("--role", choices=ROLES, required=True)
    remove = user.add_parser("remove", parents=[*parents, broker], help="remove a member (email or user id)")
    remove.add_argument("user", help="the member's email or user id")
    user.add_parser("list", parents=[*parents, broker], help="the broker's staff with role and status")


def command(args: argparse.Namespace, target: Target, out: TextIO | None = None) -> int:
    out = output(out)
    broker = target.broker(args.broker, "user")
    if not broker:
        return 1
    cognito = target.client("cognito-idp")
    pool = target.environment.get("USER_POOL_ID") if target.environment else None
    if not pool:
        from portal.local_aws import LocalResources

        pool = find_pool(cognito, LocalResources().staff_pool)
    if not pool:
        print("portal user: no staff user pool found (deploy the stage, or start `portal demo`)", file=sys.stderr)
        return 1
    staff = CognitoStaff(cognito, pool)
    if args.action == "list":
        for user in staff.users(broker):
            print(safe(f"{user['id']}  {user['role']:<9}  {user['status']:<7}  {user['email']}  {user['name']}"),
                  file=out)
        return 0
    if args.action == "invite":
        # Locally no mail leaves moto: the temporary password is made here and printed instead.
        temporary = None if target.environment else f"Tmp-{secrets.token_urlsafe(9)}1a"
        user = staff.invite(broker, args.email, args.name, args.role, temporary_password=temporary)
        told = f"temporary password {temporary}" if temporary else "Cognito emailed a temporary password"
        print(safe(f"invited {user['email']} as {user['role']} (user id {user['id']}): {told}"), file=out)
        return 0
    matches = [u for u in staff.users(broker) if args.user in (u["id"], u["email"])]
    if not matches:
        print(safe(f"portal user remove: {args.user} is not a member of broker {broker}"), file=sys.stderr)
        return 1
    # The operator acts as a server would (not as one of the staff): the directory's own rules apply.
    StaffDirectory(staff).remove(Principal(broker, "owner", "operator", "portal", "portal"), matches[0]["id"])
    print(safe(f"removed {matches[0]['email']}"), file=out)
    return 0
