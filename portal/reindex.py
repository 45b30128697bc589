"""`portal reindex`: once after deploying the console's indexes, give the cases written before them their index
attributes, so the case search and Today find them (every later change of a case keeps them itself)."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.case_index import reindex
from portal.target import Target


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    return subparsers.add_parser("reindex", parents=list(parents),
                                 help="index cases written before the console's search and Today indexes")


def command(args: argparse.Namespace, target: Target) -> int:
    done, skipped = reindex(target.client("dynamodb"), target.table)
    print(f"reindexed {done} cases ({skipped} changed meanwhile and were indexed by that change)")
    return 0
