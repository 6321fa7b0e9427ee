"""The web pages: a private bucket behind CloudFront (origin access control), security headers
on every response, and the built site plus its config.json deployed with the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deploy
from constructs import Construct

from .config import DeploymentConfig

SITE = Path(__file__).resolve().parents[1] / "build" / "web"
"""`make web` builds the pages here (`make synth` does it first)."""

# A directory URL (/staff/) is its index.html: S3 only knows keys, CloudFront only the root object.
_INDEX_REWRITE = """function handler(event) {
  var request = event.request;
  if (request.uri.endsWith('/')) { request.uri += 'index.html'; }
  return request;
}"""


def content_security_policy(connect: list[str]) -> str:
    """What the pages may load and call: their own files, plus the API and S3 endpoints in `connect`.
    No inline script, no eval, no framing; images and the viewer's workers from the site only."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "worker-src 'self' blob:",
            f"connect-src 'self' {' '.join(connect)}",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def security_headers(connect: list[str]) -> dict[str, str]:
    """The headers every page is served with, in AWS (CloudFront) and locally alike."""
    return {
        "Content-Security-Policy": content_security_policy(connect),
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def connect_origins(region: str) -> list[str]:
    """The API (execute-api) and the presigned S3 endpoints of the home region. Wildcards, because
    the names are only known once the stack exists and the CORS rules name the portal's origin."""
    return [
        f"https://*.execute-api.{region}.amazonaws.com",
        f"https://*.s3.{region}.amazonaws.com",
        "https://*.s3.amazonaws.com",
    ]


class Portal(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: DeploymentConfig, access_logs: s3.IBucket
    ) -> None:
        super().__init__(scope, id)
        region = Stack.of(self).region
        self.bucket = s3.Bucket(
            self,
            "Site",
            # The pages are public code, no personal data: S3-managed keys let CloudFront read them.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="portal/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            removal_policy=RemovalPolicy.RETAIN if config.is_production else RemovalPolicy.DESTROY,
        )
        headers = security_headers(connect_origins(region))
        policy = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=headers["Content-Security-Policy"], override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=policy,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                        function=cloudfront.Function(
                            self,
                            "DirectoryIndex",
                            code=cloudfront.FunctionCode.from_inline(_INDEX_REWRITE),
                            runtime=cloudfront.FunctionRuntime.JS_2_0,
                        ),
                    )
                ],
            ),
            default_root_object="index.html",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        )
        self.url = config.portal_url or f"https://{self.distribution.distribution_domain_name}"

    def publish(self, settings: dict[str, Any]) -> None:
        """Deploy the built pages and the config.json they read (API URL, sign-in, upload limits)."""
        if not (SITE / "index.html").exists():
            raise SystemExit(f"The web pages are not built: run `make web` first ({SITE} is empty).")
        deploy.BucketDeployment(
            self,
            "Pages",
            sources=[deploy.Source.asset(str(SITE)), deploy.Source.json_data("config.json", settings)],
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=512,
        )
