"""The README's shell blocks, by section: the demo's commands and the deployment's are run by different tests."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
DEPLOYMENT = "Deployment"


def sections() -> dict[str, str]:
    parts = re.split(r"^## (.+)$", README.read_text(), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def shell_lines(text: str) -> list[str]:
    blocks = re.findall(r"```(?:sh|console|bash)?\n(.*?)```", text, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
