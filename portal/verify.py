"""`portal verify CASE_ID`: walk a case's whole timeline against its anchored head hashes and say whether
it is the history the application wrote, naming the first bad event if not. Exit status 0: verified;
2: tampered with; 1: could not check."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from chalicelib.adapters.anchors import S3Anchors
from chalicelib.adapters.dynamo import DynamoStore
from chalicelib.services.audit import CaseAudit, audit_view
from portal.target import Target
from portal.terminal import output, safe

TAMPERED = 2


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    command = subparsers.add_parser(
        "verify", parents=list(parents), help="check a case's history against its anchored head hashes",
        description="Walk the case's whole timeline from the genesis, check it against the head hashes "
                    "anchored in the Object Lock bucket, and name the first bad event.")
    command.add_argument("case_id", help="a case id, or an evidence pack (PACK.zip) to check offline")
    command.add_argument("--broker", help="the case's broker (default: the running demo's broker)")
    command.add_argument("--json", action="store_true", help="print the same answer as GET /admin/cases/{id}/verify")
    return command


def command(args: argparse.Namespace, target: Target, out: TextIO | None = None) -> int:
    out = output(out)
    broker = target.broker(args.broker, "verify")
    if not broker:
        return 1
    if not target.anchor_bucket:
        print("portal verify: set ANCHOR_BUCKET (the stack's AnchorBucketName output)", file=sys.stderr)
        return 1
    audit = CaseAudit(DynamoStore(target.client("dynamodb"), target.table),
                      S3Anchors(target.client("s3"), target.anchor_bucket))
    view = audit_view(args.case_id, audit.verify(broker, args.case_id))
    if args.json:
        print(json.dumps(view, indent=2), file=out)
    elif view["verified"]:
        print(safe(f"case {args.case_id}: verified: {view['events']} events, every change anchored "
                   f"(version {view['version']})"), file=out)
    else:
        first = view["first_bad_event"]
        print(safe(f"case {args.case_id}: NOT VERIFIED: first bad event {first['seq']}: {first['problem']}"), file=out)
        for problem in view["problems"][1:]:
            print(safe(f"  also event {problem['seq']}: {problem['problem']}"), file=out)
    return 0 if view["verified"] else TAMPERED
