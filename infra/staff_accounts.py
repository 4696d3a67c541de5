"""Create a staff account in an agency's deployed stack.

    python -m infra.staff_accounts AGENCY USERNAME EMAIL GROUP
    (`make staff-user AGENCY=... USERNAME=... EMAIL=... GROUP=reviewers`)

Cognito emails the person a temporary password; at their first sign-in they choose their own
password and set up an authenticator app (the pool requires it).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from chalicelib.agency import AgencyProfileError, load_profile

from .deploy import DeployError, stack_outputs
from .provision import STAFF_GROUPS
from .template import Names

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def create_staff_member(cognito: Any, pool_id: str, username: str, email: str, group: str) -> None:
    if not USERNAME.fullmatch(username):
        raise DeployError("USERNAME: 2-64 lower-case letters, digits, dots, dashes, underscores")
    if not EMAIL.fullmatch(email):
        raise DeployError("EMAIL: not an email address")
    if group not in STAFF_GROUPS:
        raise DeployError(f"GROUP: one of {', '.join(STAFF_GROUPS)}")
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
    except cognito.exceptions.UsernameExistsException:
        raise DeployError(f"{username} already has an account") from None
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)


def main(argv: list[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.staff_accounts")
    parser.add_argument("agency")
    parser.add_argument("username")
    parser.add_argument("email")
    parser.add_argument("group", choices=STAFF_GROUPS)
    arguments = parser.parse_args(argv)
    try:
        profile = load_profile(arguments.agency)
    except AgencyProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if session is None:
        import boto3

        session = boto3.session.Session(region_name=profile.deployment.region)
    stack = Names(profile.id).stack
    try:
        outputs = stack_outputs(session.client("cloudformation"), stack)
        pool_id = outputs.get("StaffUserPoolId")
        if not pool_id:
            raise DeployError(f"{stack} has no staff user pool: deploy it first")
        create_staff_member(
            session.client("cognito-idp"),
            pool_id,
            arguments.username.lower(),
            arguments.email,
            arguments.group,
        )
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"{arguments.username.lower()} ({arguments.group}) is created. Cognito has emailed a "
        "temporary password, valid 3 days; the first sign-in sets a password and an "
        "authenticator app."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
