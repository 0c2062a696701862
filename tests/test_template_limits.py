"""Deploy-time limits of the CloudFormation example that cfn-lint cannot see.

cfn-lint checks types and shapes, but a Name built with ``!Sub``/``!Join`` is only known when
CloudFormation evaluates it, and CloudFront then refuses what is too long:

- an origin access control's ``Name``: at most 64 characters
  (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html);
- a distribution's ``Comment`` (and every other CloudFront ``Comment``): at most 128
  (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html);
- the other names: kept to 128 characters of ``[A-Za-z0-9_-]`` here;
- a public key's ``CallerReference`` stands for one create request, so a key that refills a slot
  must not reuse the previous key's
  (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKeyConfig.html).

A small evaluator below computes those fields the way CloudFormation would, for the longest stack
name CloudFormation allows (128 characters) and an ``AppOrigin`` longer than any comment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from tests.template_support import public_key_pem

#: CloudFormation stack names: a letter, then letters, digits and hyphens, 128 at most.
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
STACK_NAME_PATTERN = re.compile(r"[a-zA-Z][-a-zA-Z0-9]*")
LONGEST_STACK_NAME = "cfcookies-media-" + "x" * (128 - len("cfcookies-media-"))
STACK_UUID = "1c2fa620-982a-11e3-aff7-50e2416294e0"
OTHER_UUID = "8f3b1f40-0c2d-11ef-9a51-0a58a9feac02"
#: An https origin the AppOrigin pattern accepts, far longer than a 128-character comment.
LONG_ORIGIN = "https://" + ".".join(["a" * 63, "b" * 63, "c" * 63, "example"]) + ":65535"

#: (resource type, config property, field) -> the longest value CloudFront accepts.
LIMITS: dict[tuple[str, str, str], int] = {
    ("AWS::CloudFront::OriginAccessControl", "OriginAccessControlConfig", "Name"): 64,
    ("AWS::CloudFront::PublicKey", "PublicKeyConfig", "Name"): 128,
    ("AWS::CloudFront::PublicKey", "PublicKeyConfig", "Comment"): 128,
    ("AWS::CloudFront::KeyGroup", "KeyGroupConfig", "Name"): 128,
    ("AWS::CloudFront::KeyGroup", "KeyGroupConfig", "Comment"): 128,
    ("AWS::CloudFront::CachePolicy", "CachePolicyConfig", "Name"): 128,
    ("AWS::CloudFront::CachePolicy", "CachePolicyConfig", "Comment"): 128,
    ("AWS::CloudFront::ResponseHeadersPolicy", "ResponseHeadersPolicyConfig", "Name"): 128,
    ("AWS::CloudFront::ResponseHeadersPolicy", "ResponseHeadersPolicyConfig", "Comment"): 128,
    ("AWS::CloudFront::Distribution", "DistributionConfig", "Comment"): 128,
}
NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")
RSA_PEM = public_key_pem("rsa")
EC_PEM = public_key_pem("ec")
OTHER_RSA_PEM = public_key_pem("rsa")


# --- a small CloudFormation evaluator -------------------------------------------------------------


class _NoValue:
    """AWS::NoValue: the property or list item disappears."""


NO_VALUE = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class Evaluator:
    """Evaluates the intrinsic functions this template uses, as CloudFormation would.

    ``Ref`` (parameters, pseudo parameters, resources), ``Fn::Sub`` (both forms), ``Fn::Join``,
    ``Fn::Split``, ``Fn::Select``, ``Fn::GetAtt``, ``Fn::If`` and the condition functions.
    Resource IDs and attributes CloudFormation would only know after creating them are stand-ins.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        *,
        stack_name: str,
        stack_uuid: str = STACK_UUID,
        region: str = "eu-west-1",
    ) -> None:
        self.template = template
        declared = template["Parameters"]
        unknown = set(parameters) - set(declared)
        if unknown:
            raise KeyError(f"not parameters of the template: {sorted(unknown)}")
        self.refs: dict[str, Any] = {
            name: parameters.get(name, spec.get("Default")) for name, spec in declared.items()
        }
        missing = [name for name, value in self.refs.items() if value is None]
        if missing:
            raise KeyError(f"parameters without a value: {missing}")
        account = "111122223333"
        self.refs.update(
            {
                "AWS::StackName": stack_name,
                "AWS::StackId": (
                    f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{stack_uuid}"
                ),
                "AWS::Region": region,
                "AWS::AccountId": account,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::NoValue": NO_VALUE,
            }
        )
        for logical_id in template["Resources"]:
            self.refs.setdefault(logical_id, f"{logical_id}-physical-id")

    def condition(self, name: str) -> bool:
        return self._truth(self.template["Conditions"][name])

    def _truth(self, node: Any) -> bool:
        if isinstance(node, bool):
            return node
        ((function, argument),) = node.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Not":
            return not self._truth(argument[0])
        if function == "Fn::And":
            return all(self._truth(item) for item in argument)
        if function == "Fn::Or":
            return any(self._truth(item) for item in argument)
        if function == "Fn::Equals":
            left, right = (self.value(item) for item in argument)
            return bool(left == right)
        raise NotImplementedError(function)

    def resource(self, logical_id: str) -> dict[str, Any] | None:
        """The resource's evaluated properties, or None when its condition is false."""
        resource = self.template["Resources"][logical_id]
        if "Condition" in resource and not self.condition(resource["Condition"]):
            return None
        properties = self.value(resource.get("Properties", {}))
        assert isinstance(properties, dict)
        return properties

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._function(key, argument)
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}

    def _function(self, function: str, argument: Any) -> Any:
        if function == "Ref":
            return self.refs[argument]
        if function == "Fn::GetAtt":
            logical_id, attribute = argument
            return f"{logical_id}-{attribute}"
        if function == "Fn::Join":
            delimiter, items = argument
            return delimiter.join(self._strings(self.value(items)))
        if function == "Fn::Split":
            delimiter, source = argument
            text = self.value(source)
            assert isinstance(text, str)
            return text.split(delimiter)
        if function == "Fn::Select":
            index, items = argument
            return self.value(items)[int(self.value(index))]
        if function == "Fn::If":
            name, if_true, if_false = argument
            return self.value(if_true if self.condition(name) else if_false)
        if function == "Fn::Sub":
            if isinstance(argument, str):
                text, variables = argument, {}
            else:
                text, variables = argument[0], self.value(argument[1])
            return self._sub(text, variables)
        raise NotImplementedError(function)

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self._function("Fn::GetAtt", [logical_id, attribute]))
            return str(self.refs[name])

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    @staticmethod
    def _strings(items: Any) -> list[str]:
        assert isinstance(items, list)
        assert all(isinstance(item, str) for item in items), items
        return items


def parameters(**overrides: str) -> dict[str, str]:
    values = {
        "MediaDomainName": "media.example.com",
        "CertificateArn": (
            "arn:aws:acm:us-east-1:111122223333:certificate/0123abcd-0123-abcd-0123-0123456789ab"
        ),
        "AppOrigin": LONG_ORIGIN,
        "PublicKeyPemA": RSA_PEM,
        "PublicKeyPemB": EC_PEM,
    }
    values.update(overrides)
    return values


def config_fields(
    evaluator: Evaluator, template: Mapping[str, Any]
) -> dict[tuple[str, str, str, str], Any]:
    """(logical ID, type, config, field) -> evaluated value, for every field in LIMITS."""
    found: dict[tuple[str, str, str, str], Any] = {}
    for logical_id, resource in template["Resources"].items():
        properties = evaluator.resource(logical_id)
        if properties is None:
            continue
        for (type_name, config, field), _ in LIMITS.items():
            if resource["Type"] == type_name and field in properties.get(config, {}):
                found[(logical_id, type_name, config, field)] = properties[config][field]
    return found


def caller_reference(evaluator: Evaluator, logical_id: str) -> str:
    properties = evaluator.resource(logical_id)
    assert properties is not None
    value = properties["PublicKeyConfig"]["CallerReference"]
    assert isinstance(value, str)
    return value


# --- the evaluator itself -------------------------------------------------------------------------


def test_the_longest_stack_name_and_origin_are_valid_inputs(template: dict[str, Any]) -> None:
    """The stress inputs are ones CloudFormation and the template accept."""
    assert len(LONGEST_STACK_NAME) == 128
    assert STACK_NAME_PATTERN.fullmatch(LONGEST_STACK_NAME)
    assert len(LONG_ORIGIN) > 128
    assert re.fullmatch(template["Parameters"]["AppOrigin"]["AllowedPattern"], LONG_ORIGIN)
    for slot in ("PublicKeyPemA", "PublicKeyPemB"):
        pattern = template["Parameters"][slot]["AllowedPattern"]
        for pem in (RSA_PEM, EC_PEM, RSA_PEM.replace("\n", "\r\n")):
            assert re.fullmatch(pattern, pem)


def test_the_evaluator_catches_a_name_built_from_the_stack_name(template: dict[str, Any]) -> None:
    """The check means something: the previous `${AWS::StackName}-media` is 134 characters."""
    evaluator = Evaluator(template, parameters(), stack_name=LONGEST_STACK_NAME)
    assert len(evaluator.value({"Fn::Sub": "${AWS::StackName}-media"})) == 134
    assert (
        evaluator.value({"Fn::Sub": "Private media for ${AppOrigin} (cfcookies)"}).count("a") > 63
    )


def test_the_evaluator_handles_every_function_of_the_template(template: dict[str, Any]) -> None:
    """Every resource and output evaluates, both with and without the optional values."""
    for overrides in ({}, {"PublicKeyPemB": "", "ViewerRequestFunctionArn": ""}):
        evaluator = Evaluator(template, parameters(**overrides), stack_name=LONGEST_STACK_NAME)
        for logical_id in template["Resources"]:
            evaluator.resource(logical_id)
        for output in template["Outputs"].values():
            if "Condition" not in output or evaluator.condition(output["Condition"]):
                assert isinstance(evaluator.value(output["Value"]), str)


# --- lengths --------------------------------------------------------------------------------------


def test_every_cloudfront_name_and_comment_field_is_checked(template: dict[str, Any]) -> None:
    """Each CloudFront resource of the template has its Name (and Comment) in LIMITS."""
    types = {resource["Type"] for resource in template["Resources"].values()}
    cloudfront = {t for t in types if t.startswith("AWS::CloudFront::")}
    assert cloudfront == {type_name for type_name, _, _ in LIMITS}


@pytest.mark.parametrize(
    "stack_name",
    [
        pytest.param(LONGEST_STACK_NAME, id="longest-stack-name"),
        pytest.param("m", id="shortest-stack-name"),
    ],
)
def test_names_and_comments_fit_cloudfronts_limits(
    template: dict[str, Any], stack_name: str
) -> None:
    """Every Name and Comment fits CloudFront's limit, for any stack name and a long AppOrigin."""
    evaluator = Evaluator(template, parameters(), stack_name=stack_name)
    fields = config_fields(evaluator, template)
    assert len(fields) == 12  # both key slots filled
    for (logical_id, type_name, config, field), value in fields.items():
        assert isinstance(value, str), (logical_id, field)
        limit = LIMITS[(type_name, config, field)]
        assert 0 < len(value) <= limit, f"{logical_id} {field} is {len(value)} > {limit}: {value}"
        if field == "Name":
            assert NAME_CHARACTERS.fullmatch(value), (logical_id, value)
        assert LONG_ORIGIN not in value


def test_origin_access_control_name_is_well_under_64(template: dict[str, Any]) -> None:
    """The OAC name is a fixed word plus the stack UUID, whatever the stack is called."""
    evaluator = Evaluator(template, parameters(), stack_name=LONGEST_STACK_NAME)
    properties = evaluator.resource("MediaOriginAccessControl")
    assert properties is not None
    assert properties["OriginAccessControlConfig"]["Name"] == f"cfcookies-media-{STACK_UUID}"


def test_names_differ_between_stacks_of_one_account(template: dict[str, Any]) -> None:
    """Two stacks, even of one name, get different names; within a stack no type repeats one."""
    one = config_fields(Evaluator(template, parameters(), stack_name="media"), template)
    two = config_fields(
        Evaluator(template, parameters(), stack_name="media", stack_uuid=OTHER_UUID), template
    )
    by_type: dict[str, list[str]] = {}
    for key, value in one.items():
        if key[3] == "Name":
            assert value != two[key]
            by_type.setdefault(key[1], []).append(value)
    assert all(len(set(values)) == len(values) for values in by_type.values()), by_type


def test_distribution_comment_does_not_embed_the_app_origin(template: dict[str, Any]) -> None:
    """The distribution's comment names the stack UUID, not the unbounded AppOrigin."""
    evaluator = Evaluator(template, parameters(), stack_name=LONGEST_STACK_NAME)
    properties = evaluator.resource("MediaDistribution")
    assert properties is not None
    comment = properties["DistributionConfig"]["Comment"]
    assert comment == f"cfcookies private media, stack {STACK_UUID}"


# --- caller references ----------------------------------------------------------------------------


def test_refilling_a_slot_with_a_new_key_brings_a_new_caller_reference(
    template: dict[str, Any],
) -> None:
    """Slot A emptied and refilled with another key gets another CallerReference."""
    before = Evaluator(template, parameters(PublicKeyPemA=RSA_PEM), stack_name="media")
    after = Evaluator(template, parameters(PublicKeyPemA=OTHER_RSA_PEM), stack_name="media")
    assert caller_reference(before, "SigningPublicKeyA") != caller_reference(
        after, "SigningPublicKeyA"
    )


@pytest.mark.parametrize(
    "formatted",
    [
        pytest.param(lambda pem: pem, id="as-written"),
        pytest.param(lambda pem: pem.rstrip("\n"), id="shell-stripped"),
        pytest.param(lambda pem: pem.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda pem: pem.replace("\n", " "), id="one-line"),
    ],
)
def test_caller_reference_is_the_key_not_its_formatting(
    template: dict[str, Any], formatted: Any
) -> None:
    """The same key, however its lines are broken, gives the same whitespace-free reference."""
    reference = caller_reference(
        Evaluator(template, parameters(PublicKeyPemA=RSA_PEM), stack_name="media"),
        "SigningPublicKeyA",
    )
    body = "".join(RSA_PEM.strip().splitlines()[1:-1])
    assert reference == f"{STACK_UUID}-a-{body}"
    again = Evaluator(template, parameters(PublicKeyPemA=formatted(RSA_PEM)), stack_name="media")
    assert caller_reference(again, "SigningPublicKeyA") == reference
    assert not re.search(r"\s", reference)


def test_caller_reference_differs_by_slot_and_by_stack(template: dict[str, Any]) -> None:
    """One key in both slots, or in two stacks, never repeats a CallerReference."""
    same_key = parameters(PublicKeyPemA=EC_PEM, PublicKeyPemB=EC_PEM)
    here = Evaluator(template, same_key, stack_name="media")
    there = Evaluator(template, same_key, stack_name="media", stack_uuid=OTHER_UUID)
    references = {
        caller_reference(evaluator, logical_id)
        for evaluator in (here, there)
        for logical_id in ("SigningPublicKeyA", "SigningPublicKeyB")
    }
    assert len(references) == 4
