"""The CloudFormation example (examples/infrastructure) as the tests read it.

:func:`load_template` reads the template with a YAML loader that turns CloudFormation's short
tags (``!Ref``, ``!Sub``, ``!GetAtt``, ``!If`` ...) into their long form (``{"Ref": ...}``,
``{"Fn::Sub": ...}``), so the tests see exactly what CloudFormation sees; the ``template``
fixture in ``conftest.py`` loads it once per module. The other helpers find resources and
behaviours in it, and make keys for its key slots. Shared by ``test_infrastructure.py``,
``test_template_limits.py`` and ``test_edge_answers.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "examples" / "infrastructure"
TEMPLATE_PATH = INFRA / "cloudfront-private-media.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """A safe loader that also understands CloudFormation's short-form intrinsic functions."""


def _construct_intrinsic(
    loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node
) -> dict[str, Any]:
    name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(text: str) -> dict[str, Any]:
    loaded = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 (a SafeLoader subclass)
    assert isinstance(loaded, dict)
    return loaded


def resources_of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == type_name
    }


def only_resource(template: dict[str, Any], type_name: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, type_name)
    assert len(found) == 1, f"expected one {type_name}, found {sorted(found)}"
    return next(iter(found.items()))


def distribution_config(template: dict[str, Any]) -> dict[str, Any]:
    _, distribution = only_resource(template, "AWS::CloudFront::Distribution")
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def behaviours(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    config = distribution_config(template)
    yield config["DefaultCacheBehavior"]
    yield from config.get("CacheBehaviors", [])


def walk(value: Any) -> Iterator[Any]:
    """Every node of a loaded template, depth first."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def public_key_pem(kind: str) -> str:
    if kind == "rsa":
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def private_key_pem(kind: str) -> str:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
