"""The demo's journal: every table write the demo's moto answers is on disk first, at a cost that does not grow
with the table, and the next start gets back exactly the table as it was (portal/snapshot.py)."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from portal import infra, snapshot
from portal.local_aws import REGION, Exchange, LocalResources, clients
from tests.moto_server import running_moto

NAMES = LocalResources()


class Demo:
    def __init__(self, endpoint: str, watchers: list[Callable[[Exchange], None]], path: Path) -> None:
        self.client = clients(endpoint)
        self.db = self.client("dynamodb")
        infra.create_table(self.db, NAMES.table)
        self.client("s3").create_bucket(Bucket=NAMES.anchors, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.path = path
        self.saver = snapshot.Saver(path, self.client, NAMES, checkpoint_every=5)
        self.saver.changed()
        watchers.append(self.saver.watch)

    def put(self, pk: str, sk: str = "CASE", **attrs: str) -> None:
        self.db.put_item(TableName=NAMES.table, Item=item(pk, sk, **attrs))

    def table(self) -> list[dict[str, Any]]:
        return sorted(self.db.scan(TableName=NAMES.table, ConsistentRead=True)["Items"], key=by_key)

    def loaded(self) -> list[dict[str, Any]]:
        """What the next start would restore, read from the files alone (as after kill -9)."""
        state = snapshot.load(self.path)
        assert state is not None
        return sorted(state["items"], key=by_key)


def item(pk: str, sk: str = "CASE", **attrs: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}}


def by_key(i: dict[str, Any]) -> tuple[str, str]:
    return i["PK"]["S"], i["SK"]["S"]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    watchers: list[Callable[[Exchange], None]] = []
    with running_moto(watchers) as endpoint:
        yield Demo(endpoint, watchers, tmp_path / "state.json")
        watchers.clear()


def test_every_kind_of_table_write_comes_back_after_a_crash(demo: Demo) -> None:
    t = NAMES.table
    demo.put("a", note="first")
    demo.put("b")
    demo.db.update_item(TableName=t, Key=item("a"), UpdateExpression="SET note = :n",
                        ExpressionAttributeValues={":n": {"S": "second"}})
    demo.db.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": item("c")}},
                                               {"DeleteRequest": {"Key": item("b")}}]})
    demo.db.transact_write_items(TransactItems=[
        {"Put": {"TableName": t, "Item": item("d", "EVENT#1")}},
        {"Update": {"TableName": t, "Key": item("c"), "UpdateExpression": "SET note = :n",
                    "ExpressionAttributeValues": {":n": {"S": "moved"}}}},
        {"Delete": {"TableName": t, "Key": item("a")}},
        {"ConditionCheck": {"TableName": t, "Key": item("d"), "ConditionExpression": "attribute_not_exists(PK)"}},
    ])
    with pytest.raises(demo.db.exceptions.ConditionalCheckFailedException):  # refused: changes nothing
        demo.db.put_item(TableName=t, Item=item("c", note="lost"), ConditionExpression="attribute_not_exists(PK)")

    assert [(i["PK"]["S"], i.get("note", {}).get("S")) for i in demo.loaded()] == [("c", "moved"), ("d", None)]
    assert demo.loaded() == demo.table()


def test_a_write_appends_only_the_items_it_touched_and_leaves_the_saved_state_alone(demo: Demo) -> None:
    demo.db.batch_write_item(RequestItems={NAMES.table: [{"PutRequest": {"Item": item(f"old{n}")}} for n in range(25)]})
    saved = demo.path.stat()
    journal = snapshot.journal_path(demo.path)
    before = journal.read_text()

    demo.put("new", note="late in a long session")

    assert demo.path.stat().st_mtime_ns == saved.st_mtime_ns  # the 26-item state was not written again
    [line] = journal.read_text()[len(before):].splitlines()
    assert '"new"' in line and "old" not in line
    assert demo.loaded() == demo.table()


def test_the_journal_is_folded_into_the_state_and_a_crash_between_the_two_loses_nothing(demo: Demo) -> None:
    journal = snapshot.journal_path(demo.path)
    for n in range(4):
        demo.put(f"k{n}", note="v1")
    unfolded = journal.read_text()
    assert len(unfolded.splitlines()) == 4

    demo.put("k0", note="v2")  # the fifth line: everything is saved and the journal emptied
    demo.saver.settle()
    assert journal.read_text() == "" and len(snapshot.load(demo.path)["items"]) == 4

    journal.write_text(unfolded)  # as if the crash came after the save, before the journal was emptied
    assert {i["PK"]["S"]: i["note"]["S"] for i in demo.loaded()}["k0"] == "v2"  # the old line is not replayed
    assert demo.loaded() == demo.table()


def test_writes_go_on_while_the_journal_is_folded_and_a_crash_at_any_point_loses_nothing(
        demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    folding, release = threading.Event(), threading.Event()
    save = snapshot.save

    def held_save(path: Path, state: dict[str, Any]) -> None:
        """The fold's new state.json, made before the writes below and held until they are answered."""
        folding.set()
        assert release.wait(timeout=120)
        save(path, state)

    monkeypatch.setattr(snapshot, "save", held_save)
    journal = snapshot.journal_path(demo.path)
    for n in range(5):  # the fifth line starts a fold
        demo.put(f"k{n}", note="v1")
    assert folding.wait(timeout=60)

    def during_the_fold() -> None:
        demo.put("k0", note="v2")
        demo.put("late")
        demo.db.delete_item(TableName=NAMES.table, Key=item("k1"))

    writer = threading.Thread(target=during_the_fold)
    writer.start()
    writer.join(timeout=60)
    answered = not writer.is_alive()
    release.set()
    assert answered, "a write waited for the fold"
    assert demo.loaded() == demo.table()  # a crash before the fold ends: the old state and the whole journal

    demo.saver.settle()
    assert [line["seq"] for line in map(json.loads, journal.read_text().splitlines())] == [6, 7, 8]
    saved = json.loads(demo.path.read_text())
    assert saved["seq"] == 5 and len(saved["items"]) == 5  # the fold saw only the first five lines...
    assert demo.loaded() == demo.table()  # ...and the lines kept bring them back


def test_a_write_the_journal_could_not_take_is_saved_from_moto_with_the_next_one(
        demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    append = snapshot.append_durably

    def disk_full(path: Path, line: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot, "append_durably", disk_full)
    demo.put("missed")  # answered all the same: the demo keeps serving
    monkeypatch.setattr(snapshot, "append_durably", append)
    assert demo.loaded() == []

    demo.put("next")
    assert [i["PK"]["S"] for i in demo.loaded()] == ["missed", "next"]
    assert demo.loaded() == demo.table()


def test_a_line_torn_by_a_crash_is_ignored(demo: Demo) -> None:
    demo.put("kept")
    with snapshot.journal_path(demo.path).open("a") as f:
        f.write('{"seq":99,"items":[{"PK":{"S":"half')  # its write was never answered
    assert [i["PK"]["S"] for i in demo.loaded()] == ["kept"]


def test_concurrent_writes_to_one_item_leave_its_last_state_on_disk(demo: Demo) -> None:
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        barrier.wait(timeout=30)
        for k in range(6):
            demo.db.update_item(TableName=NAMES.table, Key=item("shared"), UpdateExpression="ADD hits :one",
                                ExpressionAttributeValues={":one": {"N": "1"}})
            demo.put(f"own{n}", note=str(k))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    demo.saver.settle()  # the files as a crash would leave them, not half-way through a fold
    table = demo.table()
    assert next(i for i in table if i["PK"]["S"] == "shared")["hits"] == {"N": "48"}
    assert demo.loaded() == table


def test_a_head_hash_anchor_is_journaled_without_saving_everything(demo: Demo) -> None:
    saved = demo.path.stat()
    key = "anchors/b1/c1/000000000001.abc"
    demo.client("s3").put_object(Bucket=NAMES.anchors, Key=key, Body=b"", ChecksumAlgorithm="SHA256")
    assert demo.path.stat().st_mtime_ns == saved.st_mtime_ns
    assert snapshot.load(demo.path)["anchors"] == [key]
