"""The access package lists the person's own data-subject requests, and no one else's (issue #15, PIPL-45)."""

from __future__ import annotations

import json

from clientvault.rights import package, requests
from clientvault.testing.actors import subject_ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org


def test_the_package_lists_the_persons_own_requests_only(org: Org) -> None:
    mine, other = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    requests.submit_request(ctx=subject_ctx(mine), customer_id=mine.pk, kind="explanation", channel="portal", text="请说明用途")
    requests.submit_request(ctx=subject_ctx(other), customer_id=other.pk, kind="access", channel="portal", text="别人的请求")
    p = package.gather(subject_ctx(mine), mine.pk, language="en")
    section = p.section("requests")
    assert section is not None
    [row] = section.rows
    assert row["kind"] == "Explanation of processing" and row["channel"] == "Portal" and row["received_at"]
    text = package.render_json(p).decode("utf-8")
    assert "Access and copy" not in json.dumps([dict(r) for r in section.rows]) and "别人的请求" not in text
    assert "请说明用途" not in text  # the request's own sealed words are not repeated (metadata only)
