"""SES: the configuration set every email is sent through, and the sender's domain identity when
the stack manages it."""

from __future__ import annotations

from chalicelib.agency import AgencyProfile

from .common import Names, Template, ref


def email(names: Names, profile: AgencyProfile) -> Template:
    resources: Template = {
        "EmailConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": names.prefix,
                "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
            },
        }
    }
    if profile.deployment.manage_sender_identity:
        resources["SenderIdentity"] = {
            "Type": "AWS::SES::EmailIdentity",
            "Properties": {
                "EmailIdentity": sender_domain(profile),
                "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
                "ConfigurationSetAttributes": {
                    "ConfigurationSetName": ref("EmailConfigurationSet")
                },
            },
        }
    return resources


def sender_domain(profile: AgencyProfile) -> str:
    return profile.sender.address.rsplit("@", 1)[1]
