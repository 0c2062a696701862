"""Running the examples under ``examples/`` as a user does, for ``test_examples.py`` and
``test_servers.py``: the ``CFCOOKIES_*`` variables they read, and loading one afresh."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from types import ModuleType

from tests.support import RSA_KEY_ID

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MEDIA = "https://media.example.test"


def example_environment(private_key: str, state_secret: str) -> dict[str, str]:
    """The five ``CFCOOKIES_*`` variables the examples read; ``private_key`` is a path or PEM."""
    return {
        "CFCOOKIES_MEDIA_URL": MEDIA,
        "CFCOOKIES_COOKIE_DOMAIN": "example.test",
        "CFCOOKIES_KEY_PAIR_ID": RSA_KEY_ID,
        "CFCOOKIES_PRIVATE_KEY": private_key,
        "CFCOOKIES_STATE_SECRET": state_secret,
    }


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>`` afresh (it reads the environment when imported)."""
    path = EXAMPLES / name
    spec = importlib.util.spec_from_file_location(f"example_{uuid.uuid4().hex}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
