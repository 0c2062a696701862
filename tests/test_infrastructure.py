"""The CloudFormation example in examples/infrastructure: cfn-lint clean, and private by design.

The structural tests read the template as CloudFormation sees it, short tags in their long form
(:mod:`tests.template_support`, the ``template`` fixture).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from tests.template_support import (
    INFRA,
    ROOT,
    TEMPLATE_PATH,
    behaviours,
    distribution_config,
    only_resource,
    private_key_pem,
    public_key_pem,
    resources_of_type,
    walk,
)

DOCS_USING_TEMPLATE = [
    INFRA / "README.md",
    ROOT / "docs" / "deploy.md",
]
LINT_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def lint(path: Path) -> list[str]:
    matches = lint_file(path, config=ManualArgs(regions=LINT_REGIONS, include_checks=["I"]))
    return [f"{match.rule.id} line {match.linenumber}: {match.message}" for match in matches]


# --- cfn-lint -------------------------------------------------------------------------------------


def test_template_passes_cfn_lint_without_errors_warnings_or_notices() -> None:
    """cfn-lint finds nothing to report in the template, informational checks included."""
    assert lint(TEMPLATE_PATH) == []


def test_lint_harness_reports_a_broken_template(tmp_path: Path) -> None:
    """The lint harness does report errors, so a clean result above means something."""
    broken = tmp_path / "broken.yaml"
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    broken.write_text(text.replace("ViewerProtocolPolicy: https-only", "ViewerProtocolPolicy: on"))
    assert any(message.startswith("E") for message in lint(broken))


# --- origin: private bucket, OAC, bucket policy -------------------------------------------------


def test_bucket_blocks_all_public_access_and_disables_acls(template: dict[str, Any]) -> None:
    """The bucket blocks all public access, enforces bucket-owner ownership and is encrypted."""
    _, bucket = only_resource(template, "AWS::S3::Bucket")
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    [rule] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")


def test_origin_access_control_signs_every_request_with_sigv4(template: dict[str, Any]) -> None:
    """The Origin Access Control is for S3 and always signs with SigV4."""
    _, oac = only_resource(template, "AWS::CloudFront::OriginAccessControl")
    config = oac["Properties"]["OriginAccessControlConfig"]
    assert config["OriginAccessControlOriginType"] == "s3"
    assert config["SigningBehavior"] == "always"
    assert config["SigningProtocol"] == "sigv4"


def test_the_origin_uses_the_oac_and_no_origin_access_identity(template: dict[str, Any]) -> None:
    """The S3 origin reads through the OAC; no legacy Origin Access Identity exists anywhere."""
    oac_name, _ = only_resource(template, "AWS::CloudFront::OriginAccessControl")
    bucket_name, _ = only_resource(template, "AWS::S3::Bucket")
    assert resources_of_type(template, "AWS::CloudFront::CloudFrontOriginAccessIdentity") == {}
    [origin] = distribution_config(template)["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_name, "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_name, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    for node in walk(template):
        if isinstance(node, str):
            assert "CloudFront Origin Access Identity" not in node
            assert "origin-access-identity" not in node


def test_bucket_policy_lets_only_this_distribution_read(template: dict[str, Any]) -> None:
    """The only Allow is s3:GetObject for the CloudFront service on this distribution's behalf."""
    distribution_name, _ = only_resource(template, "AWS::CloudFront::Distribution")
    bucket_name, _ = only_resource(template, "AWS::S3::Bucket")
    _, policy = only_resource(template, "AWS::S3::BucketPolicy")
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_name}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    [allow] = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Sub": f"${{{bucket_name}.Arn}}/*"}
    assert allow["Condition"] == {
        "StringEquals": {
            "AWS:SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                f":distribution/${{{distribution_name}}}"
            }
        }
    }


def test_bucket_policy_denies_every_request_without_tls(template: dict[str, Any]) -> None:
    """A Deny statement refuses any request to the bucket that does not use TLS."""
    _, policy = only_resource(template, "AWS::S3::BucketPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    [deny] = [statement for statement in statements if statement["Effect"] == "Deny"]
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- signers: public keys and the key group ------------------------------------------------------


def test_key_group_holds_the_filled_key_slots(template: dict[str, Any]) -> None:
    """The key group lists each public key only when its slot parameter is filled."""
    public_keys = resources_of_type(template, "AWS::CloudFront::PublicKey")
    assert len(public_keys) == 2
    expected_items = []
    for name, resource in sorted(public_keys.items()):
        condition = resource["Condition"]
        [parameter] = [
            node["Ref"]
            for node in walk(resource["Properties"]["PublicKeyConfig"]["EncodedKey"])
            if isinstance(node, dict) and "Ref" in node
        ]
        assert template["Parameters"][parameter]["Default"] == ""
        assert template["Conditions"][condition] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]
        }
        expected_items.append({"Fn::If": [condition, {"Ref": name}, {"Ref": "AWS::NoValue"}]})
    _, key_group = only_resource(template, "AWS::CloudFront::KeyGroup")
    assert key_group["Properties"]["KeyGroupConfig"]["Items"] == expected_items


def test_a_rule_refuses_a_deployment_with_no_key_at_all(template: dict[str, Any]) -> None:
    """A template rule asserts that at least one key slot is filled."""
    public_keys = resources_of_type(template, "AWS::CloudFront::PublicKey")
    parameters = sorted(
        resource["Properties"]["PublicKeyConfig"]["EncodedKey"]["Ref"]
        for resource in public_keys.values()
    )
    [rule] = template["Rules"].values()
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {
        "Fn::Or": [{"Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]} for name in parameters]
    }


# --- behaviours ----------------------------------------------------------------------------------


def test_every_behaviour_trusts_the_key_group(template: dict[str, Any]) -> None:
    """Every cache behaviour, the default included, requires cookies signed by the key group."""
    key_group_name, _ = only_resource(template, "AWS::CloudFront::KeyGroup")
    for behaviour in behaviours(template):
        assert behaviour["TrustedKeyGroups"] == [{"Ref": key_group_name}]
        assert "TrustedSigners" not in behaviour


def test_the_media_behaviour_uses_the_media_path_parameter(template: dict[str, Any]) -> None:
    """The media behaviour's path pattern is the MediaPathPattern parameter, default /videos/*."""
    [media] = distribution_config(template)["CacheBehaviors"]
    assert media["PathPattern"] == {"Ref": "MediaPathPattern"}
    assert template["Parameters"]["MediaPathPattern"]["Default"] == "/videos/*"


def test_every_behaviour_allows_and_caches_reads_only(template: dict[str, Any]) -> None:
    """Every behaviour allows and caches GET and HEAD only; CORS names the same methods.

    Anything else, a CORS preflight included, gets CloudFront's HTML 403; so does the local edge
    by default (tests/test_edge_answers.py checks that the two agree).
    """
    for behaviour in behaviours(template):
        assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
        assert behaviour["CachedMethods"] == ["GET", "HEAD"]
    _, policy = only_resource(template, "AWS::CloudFront::ResponseHeadersPolicy")
    cors = policy["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    assert cors["AccessControlAllowMethods"] == {"Items": ["GET", "HEAD"]}


def test_every_behaviour_refuses_plain_http(template: dict[str, Any]) -> None:
    """No behaviour serves plain HTTP: each one is https-only or redirects to HTTPS."""
    for behaviour in behaviours(template):
        assert behaviour["ViewerProtocolPolicy"] in ("https-only", "redirect-to-https")


def test_every_behaviour_uses_the_template_cache_policy_without_cookies(
    template: dict[str, Any],
) -> None:
    """Each behaviour uses a cache policy that keeps cookies out of the cache key and the origin."""
    policy_name, policy = only_resource(template, "AWS::CloudFront::CachePolicy")
    parameters = policy["Properties"]["CachePolicyConfig"][
        "ParametersInCacheKeyAndForwardedToOrigin"
    ]
    assert parameters["CookiesConfig"] == {"CookieBehavior": "none"}
    for behaviour in behaviours(template):
        assert behaviour["CachePolicyId"] == {"Ref": policy_name}


def test_the_distribution_answers_on_the_alternate_domain_with_tls(
    template: dict[str, Any],
) -> None:
    """The distribution uses the MediaDomainName alias with the ACM certificate over SNI."""
    config = distribution_config(template)
    assert config["Aliases"] == [{"Ref": "MediaDomainName"}]
    certificate = config["ViewerCertificate"]
    assert certificate["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    assert certificate["SslSupportMethod"] == "sni-only"
    assert certificate["MinimumProtocolVersion"].startswith("TLSv1.2")


def test_viewer_request_function_is_attached_only_when_given(template: dict[str, Any]) -> None:
    """Each behaviour attaches the viewer-request function under a condition, off by default."""
    parameter = template["Parameters"]["ViewerRequestFunctionArn"]
    assert parameter["Default"] == ""
    assert template["Conditions"]["HasViewerRequestFunction"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ViewerRequestFunctionArn"}, ""]}]
    }
    for behaviour in behaviours(template):
        assert behaviour["FunctionAssociations"] == {
            "Fn::If": [
                "HasViewerRequestFunction",
                [
                    {
                        "EventType": "viewer-request",
                        "FunctionARN": {"Ref": "ViewerRequestFunctionArn"},
                    }
                ],
                {"Ref": "AWS::NoValue"},
            ]
        }


# --- CORS ----------------------------------------------------------------------------------------


def test_cors_allows_credentials_for_the_app_origin_only(template: dict[str, Any]) -> None:
    """Every behaviour sends credentialed CORS for the AppOrigin parameter alone, never for *."""
    policy_name, policy = only_resource(template, "AWS::CloudFront::ResponseHeadersPolicy")
    cors = policy["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    assert cors["AccessControlAllowCredentials"] is True
    assert cors["AccessControlAllowOrigins"] == {"Items": [{"Ref": "AppOrigin"}]}
    assert "*" not in [node for node in walk(cors) if isinstance(node, str)]
    for behaviour in behaviours(template):
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": policy_name}


# --- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value", "accepted"),
    [
        pytest.param("AppOrigin", "https://app.example.com", True, id="origin-https"),
        pytest.param("AppOrigin", "https://app.example.com:8443", True, id="origin-port"),
        pytest.param("AppOrigin", "*", False, id="origin-wildcard"),
        pytest.param("AppOrigin", "https://*.example.com", False, id="origin-wildcard-host"),
        pytest.param("AppOrigin", "https://app.example.com/", False, id="origin-trailing-slash"),
        pytest.param("AppOrigin", "http://app.example.com", False, id="origin-http"),
        pytest.param("MediaDomainName", "media.example.com", True, id="domain"),
        pytest.param("MediaDomainName", "d111111abcdef8.cloudfront.net", True, id="domain-cf"),
        pytest.param("MediaDomainName", "https://media.example.com", False, id="domain-url"),
        pytest.param("MediaDomainName", "localhost", False, id="domain-single-label"),
        pytest.param(
            "CertificateArn",
            "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
            True,
            id="certificate-us-east-1",
        ),
        pytest.param(
            "CertificateArn",
            "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
            False,
            id="certificate-other-region",
        ),
        pytest.param("MediaPathPattern", "/videos/*", True, id="path-videos"),
        pytest.param("MediaPathPattern", "/media/courses/*", True, id="path-nested"),
        pytest.param("MediaPathPattern", "/videos", False, id="path-no-wildcard"),
        pytest.param("MediaPathPattern", "/videos*", False, id="path-no-slash"),
        pytest.param("MediaPathPattern", "videos/*", False, id="path-relative"),
        pytest.param("ViewerRequestFunctionArn", "", True, id="function-none"),
        pytest.param(
            "ViewerRequestFunctionArn",
            "arn:aws:cloudfront::123456789012:function/cfcookies-revocation",
            True,
            id="function-arn",
        ),
        pytest.param(
            "ViewerRequestFunctionArn",
            "arn:aws:lambda:us-east-1:123456789012:function:edge",
            False,
            id="function-lambda",
        ),
        pytest.param("PublicKeyPemA", "", True, id="key-empty"),
        pytest.param("PublicKeyPemA", "K2JCJMDEHXQW5F", False, id="key-id-not-pem"),
    ],
)
def test_parameter_patterns(
    template: dict[str, Any], parameter: str, value: str, accepted: bool
) -> None:
    """A parameter's AllowedPattern accepts the values it documents and refuses the mistakes."""
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) is accepted


@pytest.mark.parametrize("slot", ["PublicKeyPemA", "PublicKeyPemB"])
@pytest.mark.parametrize(
    ("pem", "accepted"),
    [
        pytest.param(public_key_pem("rsa"), True, id="rsa-public"),
        pytest.param(public_key_pem("ec"), True, id="ecdsa-public"),
        pytest.param(public_key_pem("rsa").rstrip("\n"), True, id="rsa-public-as-shell-passes-it"),
        pytest.param(private_key_pem("rsa"), False, id="rsa-private"),
        pytest.param(private_key_pem("ec"), False, id="ecdsa-private"),
    ],
)
def test_key_slots_take_a_public_key_pem_and_refuse_a_private_one(
    template: dict[str, Any], slot: str, pem: str, accepted: bool
) -> None:
    """A key slot accepts the public key PEM cfcookies keygen writes and refuses a private key."""
    pattern = template["Parameters"][slot]["AllowedPattern"]
    assert (re.fullmatch(pattern, pem) is not None) is accepted


# --- outputs and the docs that use them -----------------------------------------------------------


def test_outputs_give_what_cfcookies_needs(template: dict[str, Any]) -> None:
    """The outputs name the distribution domain, key group, public key IDs and bucket."""
    outputs = template["Outputs"]
    assert outputs["DistributionDomainName"]["Value"] == {
        "Fn::GetAtt": ["MediaDistribution", "DomainName"]
    }
    assert outputs["KeyGroupId"]["Value"] == {"Ref": "SigningKeyGroup"}
    assert outputs["PublicKeyIdA"] == {
        "Condition": "HasKeyA",
        "Description": outputs["PublicKeyIdA"]["Description"],
        "Value": {"Ref": "SigningPublicKeyA"},
    }
    assert outputs["PublicKeyIdB"]["Value"] == {"Ref": "SigningPublicKeyB"}
    assert outputs["BucketName"]["Value"] == {"Ref": "MediaBucket"}


@pytest.mark.parametrize(
    "doc",
    [pytest.param(path, id=path.relative_to(ROOT).as_posix()) for path in DOCS_USING_TEMPLATE],
)
def test_docs_name_only_parameters_and_outputs_the_template_has(
    template: dict[str, Any], doc: Path
) -> None:
    """Every parameter override and stack output named in the docs exists in the template."""
    text = doc.read_text(encoding="utf-8")
    overrides = set(re.findall(r"^\s+([A-Z][A-Za-z0-9]+)=", text, flags=re.MULTILINE))
    outputs = set(re.findall(r"OutputKey=='([A-Za-z0-9]+)'", text))
    outputs |= set(re.findall(r"output `([A-Za-z0-9]+)`", text))
    assert overrides, f"{doc.name} shows no parameter overrides"
    assert outputs, f"{doc.name} reads no stack outputs"
    assert overrides <= set(template["Parameters"])
    assert outputs <= set(template["Outputs"])
