"""cfcookies: CloudFront signed cookies for ASGI and WSGI apps.

The signing core is re-exported here; the middlewares live in :mod:`cfcookies.asgi` and
:mod:`cfcookies.wsgi` (and framework adapters in :mod:`cfcookies.contrib`), so that
``import cfcookies`` imports no web framework.
"""

from .exceptions import (
    CloudFrontCookieError,
    ConfigurationError,
    KeyLoadError,
    PolicyError,
    VerificationError,
    WeakHashWarning,
)
from .keys import (
    KeyRing,
    SigningKey,
    generate_private_key,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from .policy import Policy, normalize_prefix, parse_policy, prefix_resource, resource_matches
from .session import CloudFrontCookies, grant, revoke
from .signing import SignedPolicy, Signer, cf_b64decode, cf_b64encode

__version__ = "0.1.0"

__all__ = [
    "CloudFrontCookieError",
    "CloudFrontCookies",
    "ConfigurationError",
    "KeyLoadError",
    "KeyRing",
    "Policy",
    "PolicyError",
    "SignedPolicy",
    "Signer",
    "SigningKey",
    "VerificationError",
    "WeakHashWarning",
    "__version__",
    "cf_b64decode",
    "cf_b64encode",
    "generate_private_key",
    "grant",
    "load_private_key",
    "load_public_key",
    "normalize_prefix",
    "parse_policy",
    "prefix_resource",
    "public_key_pem",
    "resource_matches",
    "revoke",
]
