"""The web pages in AWS: a private bucket behind CloudFront, strict headers, the staff sign-in
through Cognito's hosted pages with PKCE, and browsers allowed only from the portal's origin."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.cfn import of_type, referenced_ids
from tests.infra.synthesis import Synthesized


def only(resources: dict[str, Any]) -> dict[str, Any]:
    (resource,) = resources.values()
    return resource


def distribution(dev: Synthesized) -> dict[str, Any]:
    return only(of_type(dev.resources, "AWS::CloudFront::Distribution"))["Properties"]["DistributionConfig"]


def test_the_pages_bucket_is_private_and_read_only_through_origin_access_control(dev: Synthesized) -> None:
    # Given the portal's bucket and the distribution in front of it
    (name,) = [n for n in of_type(dev.resources, "AWS::S3::Bucket") if n.startswith("PortalSite")]
    bucket = dev.resources[name]["Properties"]
    config = distribution(dev)
    # Then the bucket blocks public access, and CloudFront reads it with origin access control
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    (origin,) = config["Origins"]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    assert of_type(dev.resources, "AWS::CloudFront::OriginAccessControl")


def test_viewers_are_sent_to_https_and_get_the_security_headers(dev: Synthesized) -> None:
    # Given the default behaviour and its response headers policy
    behavior = distribution(dev)["DefaultCacheBehavior"]
    policy = only(of_type(dev.resources, "AWS::CloudFront::ResponseHeadersPolicy"))["Properties"]
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    # Then plain HTTP is redirected, and the CSP allows no inline script, no eval and no framing
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000


def test_the_deployed_config_names_the_api_and_the_hosted_sign_in(dev: Synthesized) -> None:
    # Given the pages' deployment
    deployment = only(of_type(dev.resources, "Custom::CDKBucketDeployment"))["Properties"]
    # Then it carries the built pages and a config.json that refers to the API and the user pool client
    assert len(deployment["SourceObjectKeys"]) == 2
    markers = json.dumps(deployment["SourceMarkers"])
    api = next(iter(of_type(dev.resources, "AWS::ApiGateway::RestApi")))
    client = next(iter(of_type(dev.resources, "AWS::Cognito::UserPoolClient")))
    assert {api, client} <= referenced_ids(deployment["SourceMarkers"]), markers


def test_staff_sign_in_is_the_code_flow_of_a_public_client(dev: Synthesized) -> None:
    # Given the workstation's user pool client
    client = only(of_type(dev.resources, "AWS::Cognito::UserPoolClient"))["Properties"]
    # Then it has no secret (it lives in a browser), only the code flow, and returns to /staff/
    assert client.get("GenerateSecret", False) is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    (callback,) = client["CallbackURLs"]
    assert json.dumps(callback).endswith('/staff/"]]}')
    assert of_type(dev.resources, "AWS::Cognito::UserPoolDomain")


def test_browsers_reach_the_buckets_only_from_the_portal(dev: Synthesized) -> None:
    # Given the CORS rules of the uploads and reports buckets
    cdn = next(iter(of_type(dev.resources, "AWS::CloudFront::Distribution")))
    for name, bucket in of_type(dev.resources, "AWS::S3::Bucket").items():
        rules = bucket["Properties"].get("CorsConfiguration", {}).get("CorsRules", [])
        for rule in rules:
            # Then each names the distribution's own address as the one origin
            (origin,) = rule["AllowedOrigins"]
            assert referenced_ids(origin) == {cdn}, name
