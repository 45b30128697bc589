"""`portal reindex`: once after deploying the console's indexes and the report counters, give the cases written
before them their index attributes, so the case search and Today find them (every later change of a case keeps
them itself), and rebuild the report counters from the cases (of one broker with --broker)."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.case_index import reindex
from chalicelib.adapters.report_rebuild import rebuild_report_counters
from portal.target import Target


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("reindex", parents=list(parents),
                                   help="index cases written before the console's search and Today indexes, "
                                        "and rebuild the report counters from the cases")
    parser.add_argument("--broker", help="rebuild only this broker's report counters (default: every broker's)")
    return parser


def command(args: argparse.Namespace, target: Target) -> int:
    client = target.client("dynamodb")
    done, skipped = reindex(client, target.table)
    print(f"reindexed {done} cases ({skipped} changed meanwhile and were indexed by that change)")
    counted = rebuild_report_counters(client, target.table, args.broker)
    print(f"rebuilt the report counters of {len(counted)} brokers from {sum(counted.values())} cases")
    return 0
