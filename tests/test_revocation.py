"""cfcookies.revocation as a package: what it exports, the names that moved to cfcookies.aws, and
that it never loads botocore (each module has its own test file: test_revocation_token.py,
test_revocation_function.py, ...)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cfcookies.exceptions
from cfcookies import aws, revocation

REPO = Path(__file__).resolve().parent.parent

#: What ``cfcookies.revocation`` exported when it was one module, less what moved to
#: cfcookies.aws: every name stays importable from it.
EXPORTED_BEFORE = [
    "DEFAULT_PREVIOUS_SECRET_KEY",
    "DEFAULT_SECRET_KEY",
    "FUNCTION_RUNTIME",
    "MAX_FUNCTION_SIZE",
    "POLICY_COOKIE",
    "SESSION_COOKIE",
    "DenyList",
    "DenyListFullError",
    "DenyListUnavailableError",
    "ForgedSessionError",
    "LocalDenyList",
    "MalformedSessionError",
    "MissingSessionError",
    "SessionCheck",
    "SessionCookieError",
    "SessionExpiredError",
    "SessionRevokedError",
    "SessionSecrets",
    "SessionToken",
    "check_session_cookie",
    "function_code",
    "generate_secret",
    "mint_session_cookie",
    "new_session_id",
    "revoked_session_key",
    "revoked_user_key",
    "verify_session_cookie",
]
#: What it exported and cfcookies.aws holds now (it needs botocore).
MOVED_TO_AWS = [
    "KeyValueStoreDenyList",
    "associate_function",
    "crt_available",
    "publish_function",
    "require_crt",
]


def test_every_name_is_exported_from_the_package() -> None:
    """Each name the one-module cfcookies.revocation exported (and kept) is in its ``__all__``
    and importable from it."""
    assert [n for n in EXPORTED_BEFORE if n not in revocation.__all__] == []
    assert [n for n in EXPORTED_BEFORE if getattr(revocation, n, None) is None] == []


def test_errors_are_the_classes_of_the_one_tree() -> None:
    """The session cookie errors live in cfcookies.exceptions; cfcookies.revocation re-exports
    the same classes."""
    errors = [n for n in EXPORTED_BEFORE if n.endswith("Error")]
    assert len(errors) == 8
    for name in errors:
        assert getattr(revocation, name) is getattr(cfcookies.exceptions, name), name


@pytest.mark.parametrize("name", MOVED_TO_AWS)
def test_names_moved_to_aws_still_resolve_with_a_deprecation_warning(name: str) -> None:
    """``cfcookies.revocation.<name>`` of a name that moved gives cfcookies.aws's object and a
    DeprecationWarning naming the new home; it is not in ``__all__`` any more."""
    with pytest.warns(DeprecationWarning, match=rf"moved to cfcookies\.aws\.{name}"):
        moved = getattr(revocation, name)
    assert moved is getattr(aws, name)
    assert name not in revocation.__all__


def test_from_import_of_a_moved_name_warns() -> None:
    """``from cfcookies.revocation import KeyValueStoreDenyList`` warns the same way."""
    with pytest.warns(DeprecationWarning, match="import it from there"):
        from cfcookies.revocation import KeyValueStoreDenyList
    assert KeyValueStoreDenyList is aws.KeyValueStoreDenyList


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name that never existed is an AttributeError, not a warning."""
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        getattr(revocation, "nope")  # noqa: B009


def test_importing_revocation_loads_no_botocore() -> None:
    """``import cfcookies.revocation`` (the token, the function, the deny-lists, the writer)
    loads no botocore: an app with revocation and a local deny-list needs no AWS SDK."""
    code = (
        "import sys, cfcookies.revocation; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_old_deny_writer_module_still_imports_with_a_warning() -> None:
    """``cfcookies.deny_writer`` (named in earlier docs) keeps working, and says where its
    names went."""
    import importlib
    import sys

    sys.modules.pop("cfcookies.deny_writer", None)
    with pytest.warns(DeprecationWarning, match="moved to cfcookies.revocation"):
        old = importlib.import_module("cfcookies.deny_writer")
    assert old.DenyWriter is revocation.DenyWriter
