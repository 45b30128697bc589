"""The Lambda package before and after slimming: zipped and unzipped sizes (Lambda's limits: 50 MB zipped
for a direct upload, 250 MB unzipped).

    .venv/bin/python bench/package_size.py
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from portal import packaging


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        packaging.chalice_package("prod", out)
        zip_path = out / "deployment.zip"
        before = packaging.sizes(zip_path)
        shutil.copy(zip_path, Path(tmp) / "before.zip")
        packaging.slim(zip_path)
        after = packaging.sizes(zip_path)
    print(f"chalice package (prod)  zipped {mb(before[0])}, unzipped {mb(before[1])}")
    print(f"slimmed                 zipped {mb(after[0])}, unzipped {mb(after[1])} "
          f"(ratio {after[0] / before[0]:.2f} zipped, {after[1] / before[1]:.2f} unzipped)")
    print(f"kept: Babel locales {', '.join(sorted(packaging.BABEL_LOCALES))}; "
          f"botocore models {', '.join(sorted(packaging.BOTOCORE_SERVICES))}")


if __name__ == "__main__":
    main()
