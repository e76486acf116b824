"""The field catalogue: seeded from RULES.md §10, complete, versioned, audited (PIPL-51, JRT0171-CLASSIFY)."""

from __future__ import annotations

import pytest
from django.core import checks as django_checks

from clientvault.classification import services
from clientvault.classification.catalogue import DEFAULT_KEYS, custom_field_key
from clientvault.classification.models import FieldClassification, FieldClassificationVersion
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.customers import custom_fields
from clientvault.customers.checks import check_classification, unclassified_fields
from clientvault.customers.models import PERSONAL_FIELDS
from clientvault.testing.actors import ctx

pytestmark = pytest.mark.django_db


def test_every_personal_field_of_the_customer_model_has_a_default():
    standard = {f"customer.{f}" for f in PERSONAL_FIELDS if f != "custom_data"}
    assert standard <= DEFAULT_KEYS


def test_migration_seeds_the_defaults_as_version_one():
    assert set(FieldClassification.objects.values_list("key", flat=True)) >= DEFAULT_KEYS
    id_number = FieldClassification.objects.get(key="customer.id_number")
    assert (id_number.jrt_class, id_number.pipl_sensitive, id_number.mask_profile) == ("C2", True, "id_number")
    assert FieldClassificationVersion.objects.get(key="customer.id_number").version == 1
    assert unclassified_fields() == []


def test_check_fails_for_an_unclassified_field():
    FieldClassification.objects.filter(key="customer.mobile").delete()
    messages = check_classification(None, databases=["default"])
    assert [m.id for m in messages] == ["clientvault.E012"]
    assert "customer.mobile" in messages[0].msg
    assert any(m.id == "clientvault.E012" for m in django_checks.run_checks(databases=["default"]))


def test_a_new_custom_field_is_classified_with_it_in_one_event(org, audit_events):
    custom_fields.define_custom_field(
        ctx=ctx(org["admin"]),
        key="wechat_id",
        field_type="text",
        data={
            "label_zh": "微信号",
            "label_en": "WeChat ID",
            "classification": {"category": "contact", "jrt_class": "C2", "mask_profile": "hidden"},
        },
    )
    row = FieldClassification.objects.get(key=custom_field_key("wechat_id"))
    assert (row.category, row.jrt_class, row.label_en) == ("contact", "C2", "WeChat ID")
    assert [e.event_type for e in audit_events()] == ["customfield.created"]
    assert unclassified_fields() == []


def test_a_custom_field_without_a_class_gets_the_cautious_default(org):
    custom_fields.define_custom_field(ctx=ctx(org["admin"]), key="note", field_type="text", data={"label_zh": "备注", "label_en": "Note"})
    row = FieldClassification.objects.get(key=custom_field_key("note"))
    assert (row.jrt_class, row.mask_profile) == ("C2", "hidden")


def test_an_invalid_class_refuses_the_custom_field(org):
    with pytest.raises(ValidationFailed) as exc:
        custom_fields.define_custom_field(
            ctx=ctx(org["admin"]),
            key="pin",
            field_type="text",
            data={"label_zh": "密码", "label_en": "PIN", "classification": {"jrt_class": "C3", "mask_profile": "none"}},
        )
    assert "classification.mask_profile" in exc.value.fields
    assert not FieldClassification.objects.filter(key=custom_field_key("pin")).exists()


def test_compliance_changes_a_classification_as_a_new_audited_version(org, audit_events):
    row = services.change_classification(
        ctx=ctx(org["compliance"]), key="customer.email", data={"jrt_class": "C2", "pipl_sensitive": True}, reason="login name"
    )
    assert (row.version, row.jrt_class, row.pipl_sensitive) == (2, "C2", True)
    versions = list(FieldClassificationVersion.objects.filter(key="customer.email").order_by("version"))
    assert [v.version for v in versions] == [1, 2] and versions[1].reason == "login name" and versions[1].changed_by == org["compliance"]
    assert versions[0].snapshot["jrt_class"] == "C1"  # history keeps what it was
    [event] = audit_events()
    assert event.event_type == "classification.changed" and event.fields == ["jrt_class", "pipl_sensitive"]


def test_classification_changes_need_a_reason_and_the_compliance_role(org):
    with pytest.raises(ValidationFailed):
        services.change_classification(ctx=ctx(org["compliance"]), key="customer.email", data={"jrt_class": "C2"}, reason=" ")
    for user in ("admin", "auditor", "manager_bj"):
        with pytest.raises(PermissionDenied):
            services.change_classification(ctx=ctx(org[user]), key="customer.email", data={"jrt_class": "C2"}, reason="x")
    with pytest.raises(NotFound):
        services.change_classification(ctx=ctx(org["compliance"]), key="customer.nothing", data={}, reason="x")


def test_unchanged_classification_makes_no_version(org, audit_events):
    services.change_classification(ctx=ctx(org["compliance"]), key="customer.email", data={"jrt_class": "C1"}, reason="same")
    assert FieldClassification.objects.get(key="customer.email").version == 1
    assert audit_events() == []


def test_catalogue_page_for_compliance_and_auditor(org, client):
    from clientvault.testing.actors import sign_in_verified

    sign_in_verified(client, org["auditor"])
    page = client.get("/classification/")
    assert page.status_code == 200 and "customer.id_number" in page.content.decode()
    assert client.get("/classification/customer.mobile/").status_code == 404  # read-only for auditors
    sign_in_verified(client, org["compliance"])
    response = client.post(
        "/classification/customer.mobile/",
        {"label_zh": "手机号", "label_en": "Mobile", "category": "contact", "jrt_class": "C2", "mask_profile": "none", "reason": ""},
    )
    assert response.status_code == 200 and FieldClassification.objects.get(key="customer.mobile").version == 1


def test_edit_page_shows_each_version_with_its_summary(org, client):
    from clientvault.testing.actors import sign_in_verified

    services.change_classification(ctx=ctx(org["compliance"]), key="customer.email", data={"jrt_class": "C2"}, reason="login name")
    sign_in_verified(client, org["compliance"])
    html = client.get("/classification/customer.email/").content.decode()
    assert "<strong>v2</strong>" in html and "<strong>v1</strong>" in html
    from django.utils import translation

    from clientvault.classification.catalogue import Category, MaskProfile

    with translation.override("zh-hans"):  # the summary names the category and the mask, not their codes (issue #11)
        words = f"{Category.CONTACT.label} · {MaskProfile.EMAIL.label}"
    assert f"C2 · {words}" in html and f"C1 · {words}" in html and "login name" in html
    assert "contact · email" not in html
