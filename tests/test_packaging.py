"""What ``pip install`` gets: the source distribution and the wheel built from it, offline.

The checkout is copied to a temporary folder (building leaves nothing behind in it), built with
``python -m build --no-isolation`` (the sdist, then the wheel from the unpacked sdist, as pip
builds from an sdist), and both archives are read back."""

from __future__ import annotations

import ast
import email.message
import email.parser
import functools
import importlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import cfcookies

ROOT = Path(__file__).resolve().parent.parent
#: What the copy leaves out: local environments, caches and build output, never shipped.
LOCAL = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "node_modules",
    "__pycache__",
    "*.py[cod]",
    "*.egg-info",
    "build",
    "dist",
    "test-artifacts",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".coverage",
    "htmlcov",
)
#: What the examples' README tells people to install for each example.
EXAMPLE_EXTRAS = {
    "fastapi_app.py": "fastapi",
    "flask_app.py": "flask",
    "django_project": "django",
    "wrap_existing_app.py": None,
}
FRAMEWORK_EXTRAS = {
    "fastapi": "fastapi",
    "flask": "flask",
    "django": "django",
    "starlette": "uvicorn",
    "demo": "uvicorn",
}


class Built(NamedTuple):
    source: Path  # the copy the archives were built from
    sdist: Path
    wheel: Path


def read_toml(path: Path) -> dict[str, Any]:
    """pyproject.toml as a dict (tomllib from 3.11, its backport tomli on 3.10)."""
    reader = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    parsed: dict[str, Any] = reader.loads(path.read_text())
    return parsed


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    source = tmp_path_factory.mktemp("source") / "cfcookies"
    shutil.copytree(ROOT, source, ignore=LOCAL)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Built(source, sdist, wheel)


@pytest.fixture(scope="module")
def wheel_names(built: Built) -> list[str]:
    with zipfile.ZipFile(built.wheel) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def sdist_names(built: Built) -> list[str]:
    with tarfile.open(built.sdist) as archive:
        top = f"cfcookies-{cfcookies.__version__}/"
        return [m.name.removeprefix(top) for m in archive.getmembers() if m.isfile()]


@pytest.fixture(scope="module")
def wheel_metadata(built: Built) -> email.message.Message:
    with zipfile.ZipFile(built.wheel) as archive:
        text = archive.read(f"cfcookies-{cfcookies.__version__}.dist-info/METADATA").decode()
    return email.parser.Parser().parsestr(text)


def classified_pythons(info: email.message.Message) -> list[tuple[int, int]]:
    found = [
        re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", c)
        for c in info.get_all("Classifier", [])
    ]
    return sorted((3, int(m.group(1))) for m in found if m)


def requirements(info: email.message.Message, extra: str | None = None) -> set[str]:
    """The distributions (canonical names) the wheel requires, or those an extra adds."""
    names: set[str] = set()
    for line in info.get_all("Requires-Dist", []):
        requirement = Requirement(line)
        marker = str(requirement.marker or "")
        if (extra is None and "extra ==" not in marker) or (
            extra is not None and f'extra == "{extra}"' in marker
        ):
            names.add(canonicalize_name(requirement.name))
    return names


def test_the_wheel_is_named_and_versioned_as_cfcookies_says(
    built: Built, wheel_metadata: email.message.Message
) -> None:
    assert built.wheel.name == f"cfcookies-{cfcookies.__version__}-py3-none-any.whl"
    assert built.sdist.name == f"cfcookies-{cfcookies.__version__}.tar.gz"
    assert wheel_metadata["Version"] == cfcookies.__version__


def test_the_version_is_written_only_in_cfcookies_init() -> None:
    """pyproject.toml reads it from ``cfcookies.__version__`` instead of repeating it."""
    project = read_toml(ROOT / "pyproject.toml")
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "cfcookies.__version__"


def test_the_wheel_claims_python_310_to_313_and_ships_its_types(
    wheel_metadata: email.message.Message, wheel_names: list[str]
) -> None:
    assert classified_pythons(wheel_metadata) == [(3, 10), (3, 11), (3, 12), (3, 13)]
    assert wheel_metadata["Requires-Python"] == ">=3.10"
    classifiers = wheel_metadata.get_all("Classifier", [])
    for expected in (
        "Typing :: Typed",
        "Framework :: AsyncIO",
        "Operating System :: OS Independent",
    ):
        assert expected in classifiers
    for framework in ("Django", "FastAPI", "Flask"):
        assert f"Framework :: {framework}" in classifiers
    assert "cfcookies/py.typed" in wheel_names


def test_the_wheel_carries_the_mit_license(
    wheel_metadata: email.message.Message, wheel_names: list[str], built: Built
) -> None:
    assert wheel_metadata["License-Expression"] == "MIT"
    assert wheel_metadata["License-File"] == "LICENSE"
    license_path = f"cfcookies-{cfcookies.__version__}.dist-info/licenses/LICENSE"
    assert license_path in wheel_names
    with zipfile.ZipFile(built.wheel) as archive:
        assert archive.read(license_path) == (ROOT / "LICENSE").read_bytes()


def test_every_package_data_pattern_matches_and_every_matching_file_is_shipped(
    wheel_names: list[str],
) -> None:
    """Each package-data glob in pyproject.toml finds files, and all of them are in the wheel."""
    package_data = read_toml(ROOT / "pyproject.toml")["tool"]["setuptools"]["package-data"]
    expected: set[str] = set()
    for package, patterns in package_data.items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            found = [p for p in folder.glob(pattern) if p.is_file()]
            assert found, f"package-data {package}: {pattern} matches no file"
            expected.update(p.relative_to(ROOT).as_posix() for p in found)
    assert {
        "cfcookies/py.typed",
        "cfcookies/revocation/function.js",
        "cfcookies/demo/static/demo.js",
        "cfcookies/demo/templates/page.html",
    } <= expected
    assert expected - set(wheel_names) == set()


def test_the_wheel_holds_every_module_and_nothing_but_the_package(wheel_names: list[str]) -> None:
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "cfcookies").rglob("*.py")}
    assert modules - set(wheel_names) == set()
    dist_info = f"cfcookies-{cfcookies.__version__}.dist-info/"
    strays = [n for n in wheel_names if not n.startswith(("cfcookies/", dist_info))]
    assert strays == []
    assert not [n for n in wheel_names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_ships_no_copy_of_hls_js_only_the_packages_own_scripts(
    wheel_names: list[str],
) -> None:
    """The demo plays with hls.js only when given a file of it (``--hls-js``): it loads
    nothing from the network, and the package carries no copy."""
    assert {n for n in wheel_names if n.endswith((".js", ".mjs"))} == {
        "cfcookies/revocation/function.js",
        "cfcookies/demo/static/demo.js",
        "cfcookies/demo/static/receiver.js",
    }


def test_the_wheel_installs_the_cfcookies_command(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as archive:
        entry_points = archive.read(
            f"cfcookies-{cfcookies.__version__}.dist-info/entry_points.txt"
        ).decode()
    assert "cfcookies = cfcookies.cli:main" in entry_points


@pytest.mark.parametrize(("extra", "brings"), list(FRAMEWORK_EXTRAS.items()))
def test_each_framework_has_an_extra(
    wheel_metadata: email.message.Message, extra: str, brings: str
) -> None:
    assert extra in wheel_metadata.get_all("Provides-Extra", [])
    assert brings in requirements(wheel_metadata, extra)


def test_the_core_test_extra_leaves_out_the_browser_fuzzer_and_linters(
    wheel_metadata: email.message.Message,
) -> None:
    core = requirements(wheel_metadata, "test-core")
    assert "pytest" in core
    assert not {"playwright", "atheris", "mypy", "ruff"} & set(core)
    assert "cfcookies" in requirements(wheel_metadata, "test")  # test = test-core + more


@functools.cache
def module_providers() -> dict[str, set[str]]:
    """Each top-level import name, and the installed distributions whose files hold it (Python
    3.10's ``packages_distributions`` reads only ``top_level.txt``, which many wheels lack)."""
    providers: dict[str, set[str]] = {}
    for distribution in metadata.distributions():
        name = canonicalize_name(distribution.metadata["Name"])
        for file in distribution.files or []:
            top = file.parts[0]
            if top.endswith(".py"):
                top = top.removesuffix(".py")
            elif "." in top:  # the .dist-info, a .pth, ../../bin
                continue
            providers.setdefault(top, set()).add(name)
    return providers


def imported_distributions(path: Path) -> set[str]:
    """The installed distributions (lower-case) that provide what a file imports at run time."""
    tree = ast.parse(path.read_text())
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    local = {p.stem for p in path.parent.glob("*.py")} | {"cfcookies", "_typeshed"}
    providers = module_providers()
    found: set[str] = set()
    for module in modules - set(sys.stdlib_module_names) - local:
        assert module in providers, f"{path.name} imports {module}: nothing installed has it"
        found.update(providers[module])
    return found


def requirement_closure(names: set[str]) -> set[str]:
    """The distributions and everything they require on this Python, without extras."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return seen


@pytest.mark.parametrize(("example", "extra"), list(EXAMPLE_EXTRAS.items()))
def test_each_example_needs_only_its_extra(
    wheel_metadata: email.message.Message, example: str, extra: str | None
) -> None:
    """What an example imports is cfcookies's own dependencies, its extra's, or theirs."""
    listed = requirements(wheel_metadata)
    if extra is not None:
        listed |= set(requirements(wheel_metadata, extra))
    allowed = requirement_closure(listed)
    path = ROOT / "examples" / example
    files = sorted(path.glob("*.py")) if path.is_dir() else [path]
    for file in files:
        missing = imported_distributions(file) - allowed
        assert not missing, f"{file.name} imports from {missing}, not brought by [{extra}]"
    install = f'pip install ".[{extra}]"' if extra else "pip install ."
    assert f"`{install}`" in (ROOT / "examples" / "README.md").read_text()


def test_the_readme_names_every_extra(wheel_metadata: email.message.Message) -> None:
    readme = (ROOT / "README.md").read_text()
    for extra in wheel_metadata.get_all("Provides-Extra", []):
        assert f"`{extra}`" in readme, f"README.md's Install section does not name [{extra}]"


def test_the_sdist_can_run_its_own_tests(built: Built, sdist_names: list[str]) -> None:
    """Everything the suite reads (tests, examples, docs, benchmarks, the pages it checks) is in
    the sdist, and nothing local (environments, node_modules, caches) is."""
    shipped = set(sdist_names)
    for folder in ("tests", "examples", "docs", "benchmarks", "cfcookies", "scripts", ".ci"):
        on_disk = {
            p.relative_to(built.source).as_posix()
            for p in (built.source / folder).rglob("*")
            if p.is_file()
        }
        assert on_disk, folder
        assert on_disk - shipped == set(), folder
    for page in ("README.md", "SECURITY.md", "BENCHMARKS.md", "CHANGELOG.md", "LICENSE"):
        assert page in shipped
    assert "pyproject.toml" in shipped
    local = [n for n in sdist_names if re.search(r"(^|/)(\.venv|node_modules|__pycache__)", n)]
    assert local == []


def test_ci_runs_the_core_on_the_oldest_and_newest_python_claimed(
    wheel_metadata: email.message.Message,
) -> None:
    pythons = classified_pythons(wheel_metadata)
    ci = (ROOT / ".ci" / "run").read_text()
    for major, minor in (pythons[0], pythons[-1]):
        assert f"scripts/test --python {major}.{minor} --core" in ci
