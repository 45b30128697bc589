"""Every `portal` command the README and the demo print works exactly as printed, from the repository root.

The commands run in a directory laid out like the repository root (its `.venv` is this one's), so the
demo's default data directory (.portal) is the test's own.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.stack import ROOT, Demo, free_ports
from tests.readme import DEPLOYMENT, sections, shell_lines

PROGRAM = ".venv/bin/portal"


def sh(cwd: Path, line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], cwd=cwd, capture_output=True, text=True, timeout=180)


def printed_commands(output: str) -> list[str]:
    """The `portal` lines the demo printed, without their trailing `# comment`."""
    return [line.split("  #")[0].strip() for line in output.splitlines() if line.strip().startswith(f"{PROGRAM} ")]


def readme_commands() -> list[str]:
    """The README's `portal` lines, but the deployment's (run against moto by test_deployment_readme.py)."""
    text = "".join(body for title, body in sections().items() if title != DEPLOYMENT)
    return [line for line in shell_lines(text) if line.startswith(("portal ", f"{PROGRAM} "))]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def start(root: Path, log: str, *flags: str) -> Demo:
    """`.venv/bin/portal demo` as `make demo` runs it, from `root`."""
    return Demo(None, root / log, "--api-port", "0", "--site-port", "0", *flags, cwd=root, program=[PROGRAM])


def test_printed_and_documented_commands_work_as_printed_and_none_runs_without_a_demo(root: Path) -> None:
    (aws_port,) = free_ports(1)
    custom = start(root, "custom.log", "--no-seed", "--data-dir", "custom-dir", "--aws-port", str(aws_port))
    try:
        hint = [c for c in printed_commands(custom.output) if " broker create " in c]
        assert hint and all(c.endswith("--data-dir custom-dir") for c in printed_commands(custom.output)), \
            custom.output
        done = sh(root, hint[0])
        assert done.returncode == 0 and "cpk_" in done.stdout, done.stderr
    finally:
        assert custom.stop() == 0

    demo = start(root, "demo.log", "--aws-port", str(aws_port))  # the same moto port, another demo
    try:
        # The stopped demo's data directory still names that port: nothing may reach this demo through it.
        stray = sh(root, f"{PROGRAM} broker create Stray --data-dir custom-dir")
        assert stray.returncode != 0
        assert "no portal demo is running with --data-dir custom-dir" in stray.stderr
        assert "make demo" in stray.stderr and "Traceback" not in stray.stderr

        commands = printed_commands(demo.output)
        assert {c.split()[1] for c in commands} >= {"broker", "sweep", "outbox", "clock", "keys"}, demo.output
        documented = readme_commands()
        runnable = [c for c in documented if "<" not in c]
        assert runnable, "the README shows no operator command"
        for line in commands + runnable:
            assert line.startswith(f"{PROGRAM} "), f"not runnable from the repository root: {line}"
            done = sh(root, line)
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        for line in set(documented) - set(runnable):  # placeholders: the deployment, against real AWS
            assert line.startswith(f"{PROGRAM} ") and "--aws-endpoint aws" in line, line
    finally:
        assert demo.stop() == 0
    idle = sh(root, f"{PROGRAM} keys rotate")
    assert idle.returncode != 0 and "no portal demo is running" in idle.stderr
