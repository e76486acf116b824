"""Two creates of the same ID number at once (issue #14): one wins, the other gets the duplicate error — never
an IntegrityError (a 500). On PostgreSQL (real concurrent transactions; SQLite serialises writers)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from clientvault.customers import matching, profiles
from clientvault.customers.choices import Kind
from clientvault.customers.models import Customer, MatchKey
from clientvault.testing.actors import ctx
from clientvault.testing.customers import all_rows
from clientvault.testing.identifiers import resident_id
from clientvault.testing.organisation import make_org

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_creates_of_the_same_id_number_at_once_one_wins_the_other_is_told() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts are tested on PostgreSQL (SQLite serialises writers)")
    org = make_org()
    number = resident_id()
    reps = [org["rep_bj1"], org["rep_bj2"]]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def create(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            c = profiles.create_customer(
                ctx=ctx(reps[i]), kind=Kind.INDIVIDUAL, data={"name": f"客户{i}", "id_type": "resident_id", "id_number": number}
            )
            outcomes.append(c.pk)
        except BaseException as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()  # the data and the key-store connections of this thread

    threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], matching.DuplicateFound) and "id_number" in lost[0].fields
    assert [m.customer_id for m in lost[0].report.blocking] == won
    assert list(all_rows(Customer).values_list("pk", flat=True)) == won
    assert set(all_rows(MatchKey).values_list("customer_id", flat=True)) == set(won)
