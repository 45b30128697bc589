"""The packaged stack, made once per run: `chalice package` with infra/ merged in, its zip slimmed."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal import packaging


@pytest.fixture(scope="session")
def packaged_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # As on a machine with no AWS set-up at all: packaging needs no region.
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        yield packaging.package("prod", tmp_path_factory.mktemp("package"))
