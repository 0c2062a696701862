"""Running the revocation CloudFront Function outside CloudFront: under Node (with stand-ins for
the ``cloudfront`` and ``crypto`` modules) and under njs, the engine family of
``cloudfront-js-2.0``. A missing engine skips its runs, or fails them when
``CFCOOKIES_REQUIRE_NODE`` / ``CFCOOKIES_REQUIRE_NJS`` is 1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

NODE = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)


#: Debian's njs: the engine family of cloudfront-js-2.0 (ES5.1 plus later additions, not Node).
NJS = shutil.which("njs")


HARNESS = Path(__file__).parent / "node" / "cloudfront_function_harness.mjs"


NJS_HARNESS = Path(__file__).parent / "node" / "cloudfront_function_harness_njs.js"


NJS_MODULES = Path(__file__).parent / "node" / "njs_modules"


#: The engines the function's tests run under: Node, then njs, whose gaps are CloudFront's.
ENGINES = [
    pytest.param("node", marks=pytest.mark.node, id="node"),
    pytest.param("njs", marks=pytest.mark.njs, id="njs"),
]


def querystring_of(query: str) -> dict[str, Any]:
    """``request.querystring`` as CloudFront hands it to a function for the raw ``query``: one
    field per name, names and values as the viewer sent them (percent-encoding kept), a
    repeated name with its first value in ``value`` and every value in ``multiValue``."""
    fields: dict[str, Any] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        field = fields.get(name)
        if field is None:
            fields[name] = {"value": value}
        else:
            field.setdefault("multiValue", [{"value": field["value"]}]).append({"value": value})
    return fields


def viewer_event(cookies: dict[str, str], query: str = "quality=hd") -> dict[str, Any]:
    """A viewer-request event for a media segment, carrying ``cookies`` and the raw ``query``."""
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionId": "EDFDVBD6EXAMPLE"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET",
            "uri": "/videos/course-1/seg-0001.ts",
            "querystring": querystring_of(query),
            "headers": {"host": {"value": "media.example.test"}},
            "cookies": {name: {"value": value} for name, value in cookies.items()},
        },
    }


def engine_or_skip(engine: str) -> str:
    """The engine's executable, or skip (fail when CFCOOKIES_REQUIRE_<ENGINE>=1) with the reason."""
    executable = NODE if engine == "node" else NJS
    if executable is None:
        variable = f"CFCOOKIES_REQUIRE_{engine.upper()}"
        reason = f"{engine} is not installed: the CloudFront Function cannot be run under it"
        if engine == "njs":
            reason += " (apt-get install njs; .ci/run does)"
        if os.environ.get(variable) == "1":
            pytest.fail(f"{variable}=1 but {reason}")
        pytest.skip(reason)
    return executable


def run_engine(
    code: str, cases: list[dict[str, Any]], engine: str
) -> subprocess.CompletedProcess[str]:
    """Run the function on the cases under Node (stand-ins spliced in through data: URLs) or njs
    (which imports only files: the function is written to a folder on its module path)."""
    executable = engine_or_skip(engine)
    payload = json.dumps({"code": code, "cases": cases})
    if engine == "node":
        return subprocess.run(
            [executable, str(HARNESS)],
            input=payload,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    with tempfile.TemporaryDirectory(prefix="cfcookies-njs-") as folder:
        module = Path(folder) / "cfcookies_function.js"
        module.write_text(code + "\nexport default handler;\n", encoding="utf-8")
        cases_file = Path(folder) / "cases.json"
        cases_file.write_text(payload, encoding="utf-8")
        command = [executable, "-p", str(NJS_MODULES), "-p", folder, str(NJS_HARNESS)]
        return subprocess.run(
            [*command, str(cases_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def run_function(
    code: str,
    cases: list[tuple[dict[str, Any], dict[str, str], int]]
    | list[tuple[dict[str, Any], dict[str, str], int, tuple[str, ...]]],
    engine: str = "node",
) -> list[dict[str, Any]]:
    completed = run_engine(
        code,
        [
            {"event": c[0], "kvs": c[1], "now": c[2], "fail": list(c[3]) if len(c) > 3 else []}
            for c in cases
        ],
        engine,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    return results
