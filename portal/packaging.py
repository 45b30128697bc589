"""The Lambda package: `chalice package` for a stage, then the zip cut down to what the functions run.

Chalice installs requirements.txt as it is (moto, Playwright and the other dev tools are not in it), but
Babel brings every locale it knows and botocore the models of every AWS service. The functions format
money and dates in the page's four locales only (chalicelib/domain/vocabulary.py) and call a handful of
services: the rest is dropped from the zip. tests/integration/test_function_access.py checks that every
service a function calls is kept, and tests/integration/test_infra_package.py imports the slimmed zip.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from chalicelib.domain.vocabulary import LOCALES

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "resources.json"

# The AWS services the functions call (botocore's model directories).
# ses: SES v1, for GetSendQuota only (the worker paces sends to the account's rate). cognito-idp: staff sign-in.
BOTOCORE_SERVICES = frozenset({"cognito-idp", "dynamodb", "s3", "secretsmanager", "ses", "sesv2", "sns", "sqs"})
BABEL_LOCALES = frozenset({"root", *LOCALES})  # root: what every locale inherits from

# Chalice asks botocore for a region only to spell API Gateway's service principal, which is
# apigateway.amazonaws.com in every commercial region: the template does not depend on it.
PACKAGING_REGION = "us-east-1"


def chalice_package(stage: str, out_dir: Path, merge_template: Path = MERGE_TEMPLATE,
                    region: str | None = None) -> Path:
    """`chalice package` with infra/ merged in; works without a configured region. Returns sam.json."""
    env = dict(os.environ)
    if region:
        env["AWS_DEFAULT_REGION"] = region
    elif not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or _profile_region()):
        env["AWS_DEFAULT_REGION"] = PACKAGING_REGION
    chalice = Path(sys.executable).parent / "chalice"
    result = subprocess.run(
        [str(chalice), "package", "--stage", stage, "--merge-template", str(merge_template), str(out_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"chalice package failed:\n{result.stdout}{result.stderr}")
    return out_dir / "sam.json"


def _profile_region() -> str | None:
    import botocore.session

    region: str | None = botocore.session.get_session().get_config_variable("region")
    return region


def package(stage: str, out_dir: Path, merge_template: Path = MERGE_TEMPLATE, region: str | None = None) -> Path:
    """The deployable package: sam.json and a slimmed deployment.zip in `out_dir`. Returns sam.json."""
    template = chalice_package(stage, out_dir, merge_template, region)
    slim(out_dir / "deployment.zip")
    return template


def kept(name: str) -> bool:
    """Whether a file of the zip is one the functions can use."""
    parts = name.split("/")
    if parts[:2] == ["botocore", "data"] and len(parts) > 3:
        return parts[2] in BOTOCORE_SERVICES
    if parts[:2] == ["babel", "locale-data"] and name.endswith(".dat"):
        return parts[2].removesuffix(".dat") in BABEL_LOCALES
    return "__pycache__" not in parts


def slim(zip_path: Path) -> None:
    """Rewrite the zip without what `kept` refuses (same compression, same file modes)."""
    slimmed = zip_path.with_suffix(".slim.zip")
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(slimmed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if kept(info.filename):
                target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    shutil.move(str(slimmed), str(zip_path))


def sizes(zip_path: Path) -> tuple[int, int]:
    """(zipped, unzipped) bytes."""
    with zipfile.ZipFile(zip_path) as z:
        return zip_path.stat().st_size, sum(i.file_size for i in z.infolist())
