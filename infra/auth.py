"""Who may call the staff routes: a Cognito user pool with radiologist and ops groups."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from .config import DeploymentConfig

GROUPS = ("radiologists", "ops")


class Auth(Construct):
    def __init__(self, scope: Construct, id: str, *, config: DeploymentConfig, portal_url: str) -> None:
        super().__init__(scope, id)
        self.user_pool = cognito.UserPool(
            self,
            "Staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            custom_attributes={"radiologist_id": cognito.StringAttribute(mutable=False, max_len=64)},
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            removal_policy=RemovalPolicy.RETAIN if config.is_production else RemovalPolicy.DESTROY,
        )
        for group in GROUPS:
            cognito.CfnUserPoolGroup(
                self, f"{group.capitalize()}Group", user_pool_id=self.user_pool.user_pool_id, group_name=group
            )
        # The workstation signs in through the hosted pages (MFA included) with the code flow and
        # PKCE: a public client, so no secret is ever in a browser.
        prefix = config.cognito_domain or f"secondopinion-{config.env_name}-{Stack.of(self).account}"
        self.domain = self.user_pool.add_domain(
            "SignIn", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        self.redirect_uri = f"{portal_url}/staff/"
        self.client = self.user_pool.add_client(
            "Workstation",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[self.redirect_uri],
                logout_urls=[self.redirect_uri],
            ),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
