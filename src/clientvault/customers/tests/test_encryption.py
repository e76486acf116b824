"""Customer personal data at rest: sealed per customer, searchable by blind index, shreddable (issue #3)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from django.db import connection
from tink import core  # type: ignore[import-untyped]

from clientvault.crypto import keystore
from clientvault.customers import custom_fields, profiles, selectors, vault
from clientvault.customers.choices import Kind
from clientvault.customers.models import Customer
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.customers import all_rows, reload
from clientvault.testing.identifiers import resident_id
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

SECRET_NAME = "欧阳明月"
SECRET_MOBILE = "13912340000"
SECRET_EMAIL = "ouyang.mingyue@example.cn"
SECRET_ADDRESS = "北京市朝阳区建国路88号"


def make(org):
    return profiles.create_customer(
        ctx=ctx(org["rep_bj1"]),
        kind=Kind.INDIVIDUAL,
        data={
            "name": SECRET_NAME, "id_type": "resident_id", "id_number": resident_id(4242, birth=dt.date(1988, 8, 8)),
            "mobile": SECRET_MOBILE, "email": SECRET_EMAIL, "address": SECRET_ADDRESS, "occupation": "律师",
        },
    )  # fmt: skip


def test_no_personal_value_is_stored_in_clear(org):
    c = make(org)
    secrets = [SECRET_NAME, SECRET_MOBILE, SECRET_EMAIL, SECRET_ADDRESS, c.id_number, "律师", "1988-08-08"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Customer._meta.db_table} WHERE id = %s", [c.pk.hex if connection.vendor == "sqlite" else c.pk])
        row = cursor.fetchone()
    stored = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row if v is not None)
    for secret in secrets:
        assert secret.encode() not in stored, secret
    assert reload(c).name == SECRET_NAME  # and yet the selector path reads it back


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads the SQLite database file itself")
@pytest.mark.django_db(transaction=True)
def test_the_database_file_holds_no_plaintext(org, tmp_path):
    make(org)
    copy = tmp_path / "copy.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(copy)])
    data = copy.read_bytes()
    for secret in (SECRET_NAME, SECRET_MOBILE, SECRET_EMAIL, SECRET_ADDRESS):
        assert secret.encode() not in data, secret
    with sqlite3.connect(copy) as db:
        (blob,) = db.execute(f"SELECT name_ct FROM {Customer._meta.db_table}").fetchone()
    assert len(blob) > 16 and SECRET_NAME.encode() not in blob


def test_search_finds_by_blind_index_and_uniqueness_holds(org):
    c = make(org)
    for q in (SECRET_NAME, SECRET_MOBILE, SECRET_EMAIL.upper(), c.id_number.lower()):
        assert [x.pk for x in selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(q=q)).items] == [c.pk]
    from clientvault.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        profiles.create_customer(
            ctx=ctx(org["rep_bj2"]), kind=Kind.INDIVIDUAL, data={"name": "x", "id_type": "resident_id", "id_number": c.id_number}
        )
    assert "id_number" in exc.value.fields


def test_a_ciphertext_moved_to_another_customer_does_not_open(org):
    a = make(org)
    b = profiles.create_customer(ctx=ctx(org["rep_bj1"]), kind=Kind.INDIVIDUAL, data={"name": "李四"})
    all_rows(Customer).filter(pk=b.pk).update(name_ct=all_rows(Customer).get(pk=a.pk).name_ct)
    with pytest.raises(core.TinkError):
        reload(b)


def test_a_shredded_customer_reads_as_erased_everywhere(org, client):
    c = make(org)
    from clientvault.customers import shredding

    shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=c.pk)
    shown = selectors.get_customer(ctx(org["rep_bj1"]), c.pk)
    assert shown.erased is True and shown.name == "" and shown.mobile == ""
    sign_in_verified(client, org["rep_bj1"])
    page = client.get(f"/customers/{c.pk}/")
    assert page.status_code == 200 and 'data-testid="erased"' in page.content.decode()
    assert SECRET_NAME not in page.content.decode()
    assert selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters()).items[0].erased is True
    with pytest.raises(keystore.KeyDestroyed):
        vault.unseal(all_rows(Customer).get(pk=c.pk))


def test_updates_reseal_only_what_changed(org):
    c = make(org)
    before = all_rows(Customer).get(pk=c.pk)
    profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"mobile": "13800138000"})
    after = all_rows(Customer).get(pk=c.pk)
    assert bytes(after.mobile_ct) != bytes(before.mobile_ct) and bytes(after.name_ct) == bytes(before.name_ct)
    assert bytes(after.mobile_bidx) == vault.index("mobile", "13800138000")
    assert reload(c).mobile == "13800138000"


def test_detail_page_shows_the_decrypted_profile(org, client):
    c = make(org)
    sign_in_verified(client, org["rep_bj1"])
    html = client.get(f"/customers/{c.pk}/").content.decode()
    for shown in (SECRET_NAME, SECRET_MOBILE, SECRET_EMAIL, "1988-08-08", "律师"):
        assert shown in html, shown
    assert "男" in html or "女" in html  # sex, derived from the ID number, is displayed


def test_list_query_count_does_not_grow_with_page_size(org):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from clientvault.testing.customers import customer

    for _ in range(30):
        customer(org["rep_bj1"])
    selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(), per_page=1)  # warm one-time lookups
    counts = []
    for size in (5, 25):
        keystore.cache.clear()  # cold: keys come from the key store
        with CaptureQueriesContext(connection) as data, CaptureQueriesContext(connections["keys"]) as keys:
            page = selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(), per_page=size)
        assert len(page.items) == size and all(c.name for c in page.items)
        counts.append((len(data), len(keys)))
    assert counts[0] == counts[1] and counts[0][1] == 1


def test_a_shredded_customer_can_no_longer_be_found_or_confirmed(org):
    c = make(org)
    from clientvault.customers import shredding

    shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=c.pk)
    for q in (c.id_number, SECRET_MOBILE, SECRET_NAME):
        assert selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(q=q)).items == [], q
    again = profiles.create_customer(
        ctx=ctx(org["rep_bj1"]), kind=Kind.INDIVIDUAL, data={"name": "x", "id_type": "resident_id", "id_number": c.id_number}
    )
    assert again.pk != c.pk


def test_a_term_that_normalises_to_nothing_matches_nothing(org):
    make(org)
    profiles.create_customer(ctx=ctx(org["rep_bj1"]), kind=Kind.INDIVIDUAL, data={"name": "无手机"})
    for q in ("-", "—", "－", "()"):
        assert selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(q=q)).items == [], q


def test_updates_survive_a_deactivated_custom_field_and_an_id_type_change(org):
    admin = ctx(org["admin"])
    custom_fields.define_custom_field(ctx=admin, key="hobby", field_type="text", data={"label_zh": "爱好", "label_en": "Hobby"})
    c = profiles.create_customer(
        ctx=ctx(org["rep_bj1"]), kind=Kind.INDIVIDUAL,
        data={"name": "王五", "id_type": "resident_id", "id_number": resident_id(5151, birth=dt.date(1970, 1, 2))},
        custom={"hobby": "书法"},
    )  # fmt: skip
    custom_fields.update_custom_field(ctx=admin, key="hobby", data={"active": False})
    updated = profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"occupation": "教师"})
    assert updated.occupation == "教师"
    moved = profiles.update_customer(
        ctx=ctx(org["rep_bj1"]),
        customer_id=c.pk,
        changes={"id_type": "passport", "id_number": "E12345678", "birth_date": dt.date(1970, 1, 2)},
    )
    assert (moved.id_type, moved.id_number, moved.birth_date) == ("passport", "E12345678", dt.date(1970, 1, 2))


def test_deleting_a_prospect_destroys_its_key_after_commit(org, django_capture_on_commit_callbacks):
    from clientvault.crypto.models import CustomerKey, KeyDestruction, ShreddedKey

    c = profiles.create_customer(ctx=ctx(org["rep_bj1"]), kind=Kind.INDIVIDUAL, data={"name": "误录客户", "status": "prospect"})
    with django_capture_on_commit_callbacks(execute=False) as pending:
        profiles.delete_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk)
    assert CustomerKey.objects.filter(pk=c.pk).exists()  # nothing destroyed before the commit
    assert KeyDestruction.objects.filter(pk=c.pk, destroyed_at__isnull=True).exists()  # the intent commits with the deletion
    for callback in pending:
        callback()
    assert not CustomerKey.objects.filter(pk=c.pk).exists() and ShreddedKey.objects.filter(pk=c.pk).exists()


def test_a_read_sees_a_pending_key_destruction_in_its_own_select_even_with_the_key_cached(org: Org) -> None:
    """The customer SELECT carries whether the key's destruction was requested (vault.with_key_state):
    a key still in this process's cache decrypts nothing once the intent is committed (crypto-shredding
    is not defeated by the key cache), and a live key needs no separate destruction query."""
    from django.test.utils import CaptureQueriesContext

    from clientvault.crypto.models import KeyDestruction
    from clientvault.testing.customers import customer

    rep = org["rep_bj1"]
    c = customer(rep, name="辛缓存", mobile="13900002222")
    keystore.cache.drop(c.pk)
    with CaptureQueriesContext(connection) as queries:
        seen = selectors.get_customer(ctx(rep), c.pk, with_followups=False)
    assert seen.name == "辛缓存" and not seen.erased  # type: ignore[attr-defined]
    assert not any("keydestruction" in q["sql"] and "EXISTS" not in q["sql"] for q in queries.captured_queries)
    assert keystore.cache.get(c.pk) is not None  # warm now
    KeyDestruction.objects.create(customer_id=c.pk)  # another process requested destruction; our cache is warm
    again = selectors.get_customer(ctx(rep), c.pk, with_followups=False)
    assert again.erased and again.name in ("", None)  # type: ignore[attr-defined]
    assert keystore.cache.get(c.pk) is None
