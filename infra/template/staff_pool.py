"""The Cognito user pool of staff accounts, its web client and its groups, from the settings the
local stack uses."""

from __future__ import annotations

from chalicelib.agency import AgencyProfile

from .. import provision
from .common import RETAINED, Names, Template, ref, sub
from .site import site_url_text


def staff_pool(names: Names, profile: AgencyProfile) -> Template:
    groups = {
        f"{group.title()}Group": {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "GroupName": group,
                "Description": description,
                "Precedence": precedence,
            },
        }
        for precedence, (group, description) in enumerate(
            provision.STAFF_GROUP_DESCRIPTIONS.items()
        )
    }
    invitation = (
        f"You have a staff account for {profile.name.replace('${', '${!')} online reports. "
        "Username: {username} "
        "Temporary password: {####} Sign in within 3 days at "
    )
    return {
        "StaffUserPool": {
            "Type": "AWS::Cognito::UserPool",
            **RETAINED,
            "Properties": {
                "UserPoolName": f"{names.prefix}-staff",
                "DeletionProtection": "ACTIVE",
                "MfaConfiguration": "ON",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {"PasswordPolicy": dict(provision.STAFF_PASSWORD_POLICY)},
                "AdminCreateUserConfig": {
                    "AllowAdminCreateUserOnly": True,
                    "InviteMessageTemplate": {
                        "EmailSubject": f"Your {profile.name} staff account",
                        "EmailMessage": sub(invitation + site_url_text(profile) + "/staff"),
                    },
                },
                "UsernameConfiguration": {"CaseSensitive": False},
                "AutoVerifiedAttributes": ["email"],
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
                },
                "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": True}],
                "UserPoolTags": {"agency": names.agency_id},
            },
        },
        "StaffUserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "ClientName": f"{names.prefix}-staff-web",
                "GenerateSecret": False,
                "ExplicitAuthFlows": list(provision.STAFF_AUTH_FLOWS),
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                # Time to install an authenticator app at the first sign-in (Cognito's most).
                "AuthSessionValidity": 15,
                "IdTokenValidity": 60,
                "AccessTokenValidity": 60,
                "RefreshTokenValidity": 12,
                "TokenValidityUnits": {
                    "IdToken": "minutes",
                    "AccessToken": "minutes",
                    "RefreshToken": "hours",
                },
            },
        },
        **groups,
    }
