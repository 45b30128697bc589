"""The project's shape: pinned dependencies that agree, a pure domain, light cold starts, one-way imports."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHALICELIB = ROOT / "chalicelib"
DOMAIN = CHALICELIB / "domain"
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!-]+$")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def normalise(requirement: str) -> str:
    name, _, version = requirement.partition("==")
    return f"{re.sub(r'[-_.]+', '-', name).lower()}=={version}"


def imports_of(path: Path) -> set[str]:
    """Top-level module names a file imports (absolute imports; the domain has no relative ones)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_requirements_txt_equals_the_runtime_dependencies():
    declared = sorted(normalise(d) for d in pyproject()["project"]["dependencies"])
    shipped = sorted(normalise(r) for r in requirements())
    assert shipped == declared


def test_every_dependency_is_pinned_exactly():
    project = pyproject()["project"]
    everything = list(project["dependencies"]) + [
        d for group in project.get("optional-dependencies", {}).values() for d in group]
    everything += requirements()
    loose = [d for d in everything if not PIN.match(d.replace(" ", ""))]
    assert loose == []


def test_the_runtime_has_what_the_foundation_needs():
    names = {normalise(d).split("==")[0] for d in pyproject()["project"]["dependencies"]}
    assert {"boto3", "jinja2", "stripe", "itsdangerous"} <= names
    dev = {normalise(d).split("==")[0].split("[")[0] for d in pyproject()["project"]["optional-dependencies"]["dev"]}
    assert {"chalice", "moto", "pytest", "cfn-lint"} <= dev


@pytest.mark.parametrize("path", sources(DOMAIN), ids=lambda p: p.name)
def test_the_domain_imports_no_outside_system(path):
    assert imports_of(path) & {"boto3", "botocore", "stripe", "jinja2", "chalice", "requests", "os", "time",
                               "portal"} == set()


CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "monotonic")}


@pytest.mark.parametrize("path", sources(DOMAIN), ids=lambda p: p.name)
def test_the_domain_never_reads_the_environment_or_the_clock(path):
    offences = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else (
                node.value.attr if isinstance(node.value, ast.Attribute) else None)
            if node.attr in {"environ", "getenv"} or (owner, node.attr) in CLOCK_CALLS:
                offences.append(f"line {node.lineno}: {owner}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in {"os", "time"}:
            offences.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Name) and node.id in {"environ", "getenv"}:
            offences.append(f"line {node.lineno}: {node.id}")
    assert offences == []


@pytest.mark.parametrize("path", sources(CHALICELIB), ids=lambda p: str(p.relative_to(CHALICELIB)))
def test_nothing_shipped_to_lambda_imports_the_operator_tools(path):
    assert "portal" not in imports_of(path)


def test_app_imports_neither_stripe_nor_jinja2():
    probe = "import app, sys; print('stripe' in sys.modules, 'jinja2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
