"""cfcookies.aws.functions: publishing the revocation function and associating it with a cache
behaviour, through botocore's Stubber (the moto-backed flow is in test_revocation_flow.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.stub import Stubber

from cfcookies import aws
from cfcookies.exceptions import AWSError, ConfigurationError
from cfcookies.revocation import function_code
from tests.aws_support import (
    ASSOCIATED,
    FUNCTION_CONFIG,
    distribution,
    distribution_config,
    function_summary,
)
from tests.revocation_support import FUNCTION_ARN, KVS_ARN


def test_publish_creates_a_new_function_and_publishes_it(cf_client: tuple[Any, Stubber]) -> None:
    """A function that does not exist yet is created with the KVS association, then published."""
    client, stubber = cf_client
    code = function_code()
    stubber.add_client_error(
        "describe_function",
        service_error_code="NoSuchFunctionExists",
        http_status_code=404,
        expected_params={"Name": "cfcookies-revocation", "Stage": "DEVELOPMENT"},
    )
    stubber.add_response(
        "create_function",
        {"FunctionSummary": function_summary("DEVELOPMENT"), "ETag": "E1", "Location": "https://x"},
        {
            "Name": "cfcookies-revocation",
            "FunctionConfig": FUNCTION_CONFIG,
            "FunctionCode": code.encode(),
        },
    )
    stubber.add_response(
        "publish_function",
        {"FunctionSummary": function_summary("LIVE")},
        {"Name": "cfcookies-revocation", "IfMatch": "E1"},
    )
    arn = aws.publish_function(client, name="cfcookies-revocation", code=code, kvs_arn=KVS_ARN)
    assert arn == FUNCTION_ARN


def test_publish_updates_an_existing_function_with_its_etag(cf_client: tuple[Any, Stubber]) -> None:
    """An existing function is updated with the ETag DescribeFunction gave, then published."""
    client, stubber = cf_client
    code = function_code()
    stubber.add_response(
        "describe_function",
        {"FunctionSummary": function_summary("DEVELOPMENT"), "ETag": "E7"},
        {"Name": "cfcookies-revocation", "Stage": "DEVELOPMENT"},
    )
    stubber.add_response(
        "update_function",
        {"FunctionSummary": function_summary("DEVELOPMENT"), "ETag": "E8"},
        {
            "Name": "cfcookies-revocation",
            "IfMatch": "E7",
            "FunctionConfig": FUNCTION_CONFIG,
            "FunctionCode": code.encode(),
        },
    )
    stubber.add_response(
        "publish_function",
        {"FunctionSummary": function_summary("LIVE")},
        {"Name": "cfcookies-revocation", "IfMatch": "E8"},
    )
    assert (
        aws.publish_function(client, name="cfcookies-revocation", code=code, kvs_arn=KVS_ARN)
        == FUNCTION_ARN
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"name": "has space"}, "name must be", id="bad-name"),
        pytest.param({"code": "x" * 10241}, "10240", id="too-big"),
    ],
)
def test_publish_refuses_what_cloudfront_would(kwargs: dict[str, str], match: str) -> None:
    """A bad function name or code over 10 KB is refused before any call."""
    arguments = {"name": "ok", "code": "x", "kvs_arn": KVS_ARN, **kwargs}
    with pytest.raises(ConfigurationError, match=match):
        aws.publish_function(object(), **arguments)


def test_publish_failure_is_an_aws_error(cf_client: tuple[Any, Stubber]) -> None:
    """A failing DescribeFunction other than not-found raises AWSError."""
    client, stubber = cf_client
    stubber.add_client_error(
        "describe_function", service_error_code="AccessDenied", http_status_code=403
    )
    with pytest.raises(AWSError, match="DescribeFunction failed: AccessDenied"):
        aws.publish_function(client, name="f", code="x", kvs_arn=KVS_ARN)


@pytest.mark.parametrize(
    ("path_pattern", "where"),
    [
        pytest.param(None, "default", id="default-behaviour"),
        pytest.param("/videos/*", "videos", id="path-pattern"),
    ],
)
def test_associate_sets_viewer_request_function_on_chosen_behaviour(
    cf_client: tuple[Any, Stubber], path_pattern: str | None, where: str
) -> None:
    """The function is added on viewer-request of the chosen behaviour, sent with IfMatch."""
    client, stubber = cf_client
    config = distribution_config()
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    expected = copy.deepcopy(config)
    target = (
        expected["DefaultCacheBehavior"]
        if where == "default"
        else expected["CacheBehaviors"]["Items"][0]
    )
    target["FunctionAssociations"] = ASSOCIATED
    stubber.add_response(
        "update_distribution",
        {"Distribution": distribution(expected), "ETag": "D2"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D1", "DistributionConfig": expected},
    )
    assert aws.associate_function(
        client,
        distribution_id="EDFDVBD6EXAMPLE",
        function_arn=FUNCTION_ARN,
        path_pattern=path_pattern,
    )


def test_associate_keeps_viewer_response_functions(cf_client: tuple[Any, Stubber]) -> None:
    """An existing viewer-response function stays when the viewer-request one is added."""
    client, stubber = cf_client
    other = {"FunctionARN": FUNCTION_ARN + "-headers", "EventType": "viewer-response"}
    config = distribution_config(FunctionAssociations={"Quantity": 1, "Items": [other]})
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    expected = copy.deepcopy(config)
    expected["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 2,
        "Items": [other, {"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}],
    }
    stubber.add_response(
        "update_distribution",
        {"Distribution": distribution(expected), "ETag": "D2"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D1", "DistributionConfig": expected},
    )
    aws.associate_function(client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN)


def test_associate_is_a_no_op_when_already_associated(cf_client: tuple[Any, Stubber]) -> None:
    """When the behaviour already runs the function, no UpdateDistribution is sent."""
    client, stubber = cf_client
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": distribution_config(FunctionAssociations=ASSOCIATED), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    assert not aws.associate_function(
        client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN
    )


def test_associate_retries_once_on_precondition_failed(cf_client: tuple[Any, Stubber]) -> None:
    """A concurrent change (PreconditionFailed) makes it re-read the config once and retry."""
    client, stubber = cf_client
    config = distribution_config()
    expected = copy.deepcopy(config)
    expected["DefaultCacheBehavior"]["FunctionAssociations"] = ASSOCIATED
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    stubber.add_client_error(
        "update_distribution", service_error_code="PreconditionFailed", http_status_code=412
    )
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D3"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    stubber.add_response(
        "update_distribution",
        {"Distribution": distribution(expected), "ETag": "D4"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D3", "DistributionConfig": expected},
    )
    assert aws.associate_function(
        client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN
    )


@pytest.mark.parametrize(
    ("behaviour_extra", "kwargs", "match"),
    [
        pytest.param({}, {"path_pattern": "/nope/*"}, "'/videos/\\*'", id="unknown-pattern"),
        pytest.param(
            {
                "FunctionAssociations": {
                    "Quantity": 1,
                    "Items": [
                        {"FunctionARN": FUNCTION_ARN + "-other", "EventType": "viewer-request"}
                    ],
                }
            },
            {},
            "replace=True",
            id="other-function-present",
        ),
        pytest.param(
            {
                "LambdaFunctionAssociations": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f:1",
                            "EventType": "viewer-request",
                        }
                    ],
                }
            },
            {"replace": True},
            "Lambda@Edge",
            id="lambda-at-edge-present",
        ),
    ],
)
def test_associate_refuses_unsafe_changes(
    cf_client: tuple[Any, Stubber],
    behaviour_extra: dict[str, Any],
    kwargs: dict[str, Any],
    match: str,
) -> None:
    """An unknown behaviour, another viewer-request function or Lambda@Edge stop the change."""
    client, stubber = cf_client
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": distribution_config(**behaviour_extra), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    with pytest.raises(ConfigurationError, match=match):
        aws.associate_function(
            client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN, **kwargs
        )


def test_associate_replace_swaps_the_other_function(cf_client: tuple[Any, Stubber]) -> None:
    """With replace=True another viewer-request function is swapped for this one."""
    client, stubber = cf_client
    other = {"FunctionARN": FUNCTION_ARN + "-other", "EventType": "viewer-request"}
    config = distribution_config(FunctionAssociations={"Quantity": 1, "Items": [other]})
    expected = copy.deepcopy(config)
    expected["DefaultCacheBehavior"]["FunctionAssociations"] = ASSOCIATED
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    stubber.add_response(
        "update_distribution",
        {"Distribution": distribution(expected), "ETag": "D2"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D1", "DistributionConfig": expected},
    )
    assert aws.associate_function(
        client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN, replace=True
    )
