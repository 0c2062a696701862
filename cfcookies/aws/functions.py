"""Publishing the revocation function and running it on a distribution's cache behaviour.

:func:`publish_function` creates or updates the CloudFront Function (the code comes from
:func:`cfcookies.revocation.function_code`) with its KeyValueStore associated, and publishes it
to LIVE; :func:`associate_function` puts it on viewer requests of one cache behaviour, refusing
what CloudFront would refuse before anything is sent.
"""

from __future__ import annotations

import re
from typing import Any

from ..exceptions import ConfigurationError
from ..revocation.function import FUNCTION_RUNTIME, MAX_FUNCTION_SIZE
from ._client import _aws_error, _error_code

__all__ = [
    "associate_function",
    "publish_function",
]


def publish_function(
    client: Any,
    *,
    name: str,
    code: str,
    kvs_arn: str,
    comment: str = "cfcookies revocation check",
) -> str:
    """Create or update the function ``name``, publish it to LIVE and return its ARN.

    ``client`` is a botocore ``cloudfront`` client.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
        raise ConfigurationError(
            f"name must be 1 to 64 characters of a-z A-Z 0-9 _ -, got {name!r}"
        )
    blob = code.encode("utf-8")
    if len(blob) > MAX_FUNCTION_SIZE:
        raise ConfigurationError(
            f"the function code is {len(blob)} bytes; CloudFront allows {MAX_FUNCTION_SIZE}"
        )
    config = {
        "Comment": comment,
        "Runtime": FUNCTION_RUNTIME,
        "KeyValueStoreAssociations": {
            "Quantity": 1,
            "Items": [{"KeyValueStoreARN": kvs_arn}],
        },
    }
    try:
        described = client.describe_function(Name=name, Stage="DEVELOPMENT")
    except Exception as exc:
        if _error_code(exc) != "NoSuchFunctionExists":
            raise _aws_error(exc, operation="DescribeFunction") from None
        described = None
    try:
        if described is None:
            created = client.create_function(Name=name, FunctionConfig=config, FunctionCode=blob)
            etag = created["ETag"]
        else:
            updated = client.update_function(
                Name=name, IfMatch=described["ETag"], FunctionConfig=config, FunctionCode=blob
            )
            etag = updated["ETag"]
        published = client.publish_function(Name=name, IfMatch=etag)
    except Exception as exc:
        raise _aws_error(exc, operation="publishing the function") from None
    return str(published["FunctionSummary"]["FunctionMetadata"]["FunctionARN"])


def associate_function(
    client: Any,
    *,
    distribution_id: str,
    function_arn: str,
    path_pattern: str | None = None,
    replace: bool = False,
) -> bool:
    """Run ``function_arn`` on viewer requests of one cache behaviour of a distribution.

    ``path_pattern`` picks the cache behaviour (``None`` or ``"*"`` for the default one). An
    existing viewer-request function is replaced only with ``replace=True``. Returns ``False``
    when the function was already associated (nothing changed). A behaviour with a Lambda@Edge
    function on viewer-request or viewer-response is refused with a
    :class:`~cfcookies.exceptions.ConfigurationError` before anything is sent, as CloudFront
    would refuse the update; Lambda@Edge on origin-request or origin-response is kept.
    """
    for attempt in range(2):
        try:
            got = client.get_distribution_config(Id=distribution_id)
        except Exception as exc:
            raise _aws_error(exc, operation="GetDistributionConfig") from None
        config, etag = got["DistributionConfig"], got["ETag"]
        behaviour = _find_behaviour(config, path_pattern)
        if not _set_association(behaviour, function_arn, replace=replace):
            return False
        try:
            client.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=config)
        except Exception as exc:
            if _error_code(exc) == "PreconditionFailed" and attempt == 0:
                continue
            raise _aws_error(exc, operation="UpdateDistribution") from None
        return True
    raise AssertionError("unreachable")  # pragma: no cover


def _find_behaviour(config: dict[str, Any], path_pattern: str | None) -> dict[str, Any]:
    if path_pattern in (None, "*", "default"):
        behaviour: dict[str, Any] = config["DefaultCacheBehavior"]
        return behaviour
    items = (config.get("CacheBehaviors") or {}).get("Items") or []
    for item in items:
        if item.get("PathPattern") == path_pattern:
            found: dict[str, Any] = item
            return found
    known = ", ".join(repr(i.get("PathPattern")) for i in items) or "none"
    raise ConfigurationError(
        f"the distribution has no cache behaviour with path pattern {path_pattern!r} "
        f"(it has: {known}; leave it out for the default behaviour)"
    )


#: Lambda@Edge events that rule out a CloudFront Function on the same cache behaviour's viewer
#: events: "You can't combine CloudFront Functions and Lambda@Edge in viewer events (viewer
#: request and viewer response)"; origin-request and origin-response Lambda@Edge functions are
#: allowed beside one. CloudFront Developer Guide, "Restrictions on all edge functions":
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html
_LAMBDA_VIEWER_EVENTS = ("viewer-request", "viewer-response")


def _set_association(behaviour: dict[str, Any], function_arn: str, *, replace: bool) -> bool:
    """Put ``function_arn`` on viewer-request of ``behaviour``; False if it is there already.

    Refuses here, with the behaviour and the event named, what UpdateDistribution would refuse
    only with a generic error: a Lambda@Edge function on the behaviour's viewer-request or
    viewer-response.
    """
    pattern = behaviour.get("PathPattern")
    where = f"cache behaviour {pattern!r}" if pattern else "the default cache behaviour"
    lambdas = (behaviour.get("LambdaFunctionAssociations") or {}).get("Items") or []
    clashes = [item for item in lambdas if item.get("EventType") in _LAMBDA_VIEWER_EVENTS]
    if clashes:
        found = " and ".join(
            f"{item.get('LambdaFunctionARN')} on {item.get('EventType')}" for item in clashes
        )
        raise ConfigurationError(
            f"{where} runs a Lambda@Edge function ({found}); CloudFront allows no CloudFront "
            f"Function on viewer-request beside Lambda@Edge on viewer-request or "
            f"viewer-response. Nothing was changed: move that Lambda@Edge function to "
            f"origin-request or origin-response, or remove it from the behaviour, then "
            f"associate again"
        )
    items = list((behaviour.get("FunctionAssociations") or {}).get("Items") or [])
    current = [item for item in items if item.get("EventType") == "viewer-request"]
    if current and current[0].get("FunctionARN") == function_arn:
        return False
    if current and not replace:
        raise ConfigurationError(
            f"{where} already runs {current[0].get('FunctionARN')} on viewer requests; pass "
            f"replace=True (--replace) to swap it for the revocation check"
        )
    items = [item for item in items if item.get("EventType") != "viewer-request"]
    items.append({"FunctionARN": function_arn, "EventType": "viewer-request"})
    behaviour["FunctionAssociations"] = {"Quantity": len(items), "Items": items}
    return True
