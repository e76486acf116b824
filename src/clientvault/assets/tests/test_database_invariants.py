"""The ledger's invariants are refused by the DATABASE when Python is bypassed (issue #13): rows written
straight through the ORM or SQL, with no service and no posting core, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from clientvault.assets.models import Asset, EntryKind, Journal, JournalKind, LedgerEntry
from clientvault.core import clock
from clientvault.testing import assets as A
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(org: Any) -> tuple[Asset, Asset]:
    c = customer(org["rep_bj1"])
    return A.asset(c, balance=10_000), A.asset(c, balance=5_000)


def refused(action: Callable[[], object], match: str | None = None) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        action()


def entry(a: Asset, journal_id: uuid.UUID, amount: int, **over: Any) -> LedgerEntry:
    fields: dict[str, Any] = {
        "journal_id": journal_id,
        "asset_id": a.pk,
        "seq": a.version + 1,
        "kind": EntryKind.TRANSFER_IN if amount >= 0 else EntryKind.TRANSFER_OUT,
        "amount": amount,
        "pledged_delta": 0,
        "balance_before": a.balance,
        "balance_after": a.balance + amount,
        "pledged_before": a.pledged,
        "pledged_after": a.pledged,
        "currency": a.currency,
        "created_at": clock.now(),
    }
    fields.update(over)
    return LedgerEntry(**fields)


def journal(journal_id: uuid.UUID, count: int) -> Journal:
    return Journal(
        id=journal_id, kind=JournalKind.TRANSFER, idempotency_key=A.key("raw"), fingerprint="x", entry_count=count, created_at=clock.now()
    )


def write(entries: list[LedgerEntry], count: int | None = None) -> None:
    jid = entries[0].journal_id
    LedgerEntry.objects.bulk_create(entries)
    journal(jid, len(entries) if count is None else count).save(force_insert=True)


def test_a_balanced_raw_posting_is_accepted_and_moves_the_running_balance(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    write([entry(a, jid, -300), entry(b, jid, 300)])
    assert (A.reload(a).balance, A.reload(a).version) == (9_700, a.version + 1)
    assert A.reload(b).balance == 5_300


def test_an_unbalanced_journal_is_refused(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    refused(lambda: write([entry(a, jid, -300), entry(b, jid, 299)]), "balance")
    assert A.reload(a).balance == 10_000


def test_a_journal_whose_count_differs_from_its_entries_is_refused(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    refused(lambda: write([entry(a, jid, -300), entry(b, jid, 300)], count=3), "count")


def test_a_mixed_currency_journal_is_refused_even_when_the_amounts_cancel(org: Any) -> None:
    c = customer(org["rep_bj1"])
    cny, usd = A.asset(c, balance=1_000), A.asset(c, currency="USD", balance=1_000)
    jid = uuid.uuid4()
    refused(lambda: write([entry(cny, jid, -100), entry(usd, jid, 100)]), "balance")


def test_an_entry_in_another_currency_than_its_asset_is_refused(pair: tuple[Asset, Asset]) -> None:
    a, _b = pair
    refused(lambda: LedgerEntry.objects.bulk_create([entry(a, uuid.uuid4(), 0, currency="USD", kind=EntryKind.CHANGE_TERMS)]), "currency")


def test_a_gap_in_seq_is_refused(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    refused(lambda: write([entry(a, jid, -300, seq=a.version + 2), entry(b, jid, 300)]), "seq")
    refused(lambda: write([entry(a, jid, -300, seq=a.version), entry(b, jid, 300)]), "seq")


def test_balance_before_must_be_the_running_balance(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    refused(
        lambda: write([entry(a, jid, -300, balance_before=a.balance + 1, balance_after=a.balance - 299), entry(b, jid, 300)]), "balance"
    )


def test_balance_after_must_be_before_plus_amount(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    refused(lambda: write([entry(a, jid, -300, balance_after=a.balance), entry(b, jid, 300)]))


def test_entries_and_journals_cannot_be_updated_or_deleted(pair: tuple[Asset, Asset]) -> None:
    a, _b = pair
    first = LedgerEntry.objects.filter(asset=a).order_by("seq").first()
    assert first is not None
    refused(lambda: LedgerEntry.objects.filter(pk=first.pk).update(amount=1), "append-only")
    refused(lambda: LedgerEntry.objects.filter(pk=first.pk).delete(), "append-only")
    refused(lambda: Journal.objects.filter(pk=first.journal_id).update(purpose="x"), "append-only")
    refused(lambda: Journal.objects.filter(pk=first.journal_id).delete())

    def raw_update() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE assets_ledgerentry SET amount = amount + 1 WHERE id = %s", [first.pk])

    refused(raw_update, "append-only")


def test_the_running_balance_moves_only_with_an_entry(pair: tuple[Asset, Asset]) -> None:
    a, _b = pair
    qs = Asset.objects.unrestricted(reason="test: bypassing the services")
    refused(lambda: qs.filter(pk=a.pk).update(balance=1_000_000), "ledger entry")
    refused(lambda: qs.filter(pk=a.pk).update(balance=a.balance + 5, version=a.version + 1), "ledger entry")
    refused(lambda: qs.filter(pk=a.pk).update(pledged=10), "ledger entry")
    refused(lambda: qs.filter(pk=a.pk).update(status="closed"), "ledger entry")
    refused(lambda: qs.filter(pk=a.pk).update(currency="USD"), "currency")
    qs.filter(pk=a.pk).update(product="renamed")  # columns that are not the ledger's stay writable (by services)
    assert A.reload(a).balance == 10_000


def test_no_negative_balance_unless_the_kind_allows_it(org: Any) -> None:
    c = customer(org["rep_bj1"])
    deposit, loan = A.asset(c, balance=100), A.asset(c, kind="loan")
    jid = uuid.uuid4()
    refused(lambda: write([entry(deposit, jid, -101), entry(loan, jid, 101)]))
    jid = uuid.uuid4()
    write([entry(loan, jid, -500), entry(deposit, jid, 500)])  # a loan drawdown: the loan goes negative
    assert A.reload(loan).balance == -500


def test_pledged_cannot_exceed_the_balance(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    pledge = entry(a, jid, 0, kind=EntryKind.PLEDGE, pledged_delta=10_001, pledged_after=10_001)
    refused(lambda: write([pledge]))
    jid = uuid.uuid4()
    write([entry(a, jid, 0, kind=EntryKind.PLEDGE, pledged_delta=8_000, pledged_after=8_000)])
    a = A.reload(a)
    jid = uuid.uuid4()
    # Moving pledged funds away: the balance would fall under the pledged amount.
    refused(lambda: write([entry(a, jid, -2_001), entry(b, jid, 2_001)]))
    write([entry(a, jid, -2_000), entry(b, jid, 2_000)])
    assert A.reload(a).available == 0


def test_an_entry_cannot_join_a_journal_already_written(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()
    write([entry(a, jid, -1), entry(b, jid, 1)])
    a, b = A.reload(a), A.reload(b)
    refused(lambda: LedgerEntry.objects.bulk_create([entry(a, jid, 0, kind=EntryKind.CHANGE_TERMS)]), "journal")


def test_entries_without_their_journal_never_commit(pair: tuple[Asset, Asset]) -> None:
    a, b = pair
    jid = uuid.uuid4()

    def orphan() -> None:
        LedgerEntry.objects.bulk_create([entry(a, jid, -1), entry(b, jid, 1)])
        connection.check_constraints()  # what COMMIT does with the deferred foreign key

    refused(orphan)


def test_a_closed_asset_takes_no_entry_and_must_be_empty(org: Any) -> None:
    c = customer(org["rep_bj1"])
    a = A.asset(c, balance=100)
    jid = uuid.uuid4()
    refused(lambda: write([entry(a, jid, 0, kind=EntryKind.CLOSE)]))  # not empty: CHECK asset_closed_is_empty
    empty = A.asset(c)
    write([entry(empty, uuid.uuid4(), 0, kind=EntryKind.CLOSE)])
    empty = A.reload(empty)
    assert empty.status == "closed"
    refused(lambda: write([entry(empty, uuid.uuid4(), 0, kind=EntryKind.CHANGE_TERMS)]), "closed")
