"""A test organisation: legal entities, departments and one user of every role (``make_org``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.accounts.models import Department, LegalEntity, Role, User
from clientvault.core import roles as R
from clientvault.core.seeding import reseed_catalogues
from clientvault.testing.identifiers import counter

PASSWORD = "Test-Pass-2026!"


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return make_password(PASSWORD)  # argon2, computed once per run


@dataclass
class Org:
    entity: LegalEntity
    other_entity: LegalEntity
    hq: Department
    bj: Department
    bj_team1: Department
    bj_team2: Department
    sh: Department
    sh_team: Department
    users: dict[str, User]

    def __getitem__(self, username: str) -> User:
        return self.users[username]


def department(entity: LegalEntity, name: str, parent: Department | None = None) -> Department:
    dept = Department(legal_entity=entity, parent=parent, name=name, code=f"d{next(counter)}")
    dept.path = (parent.path if parent else "/") + f"{dept.pk}/"
    dept.save()
    return dept


def user(username: str, role: str | list[str], dept: Department | None, *, mfa: bool = False, active: bool = True) -> User:
    u = User.objects.create(username=username, display_name=username, department=dept, password=_password_hash(), is_active=active)
    codes = [role] if isinstance(role, str) else role
    u.roles.set(Role.objects.filter(code__in=codes))
    if mfa:
        TOTPDevice.objects.create(user=u, name="test", confirmed=True)
    return u


def ensure_roles() -> None:
    """Roles, purposes, policies and the field catalogue are seeded by migrations; a transactional test's
    flush removes them, so restore them with the same seeding functions (each skips rows that exist)."""
    reseed_catalogues()


def make_org() -> Org:
    ensure_roles()
    entity = LegalEntity.objects.create(name=f"测试法人{next(counter)}")
    other = LegalEntity.objects.create(name=f"其他法人{next(counter)}")
    hq = department(entity, "总部")
    bj = department(entity, "北京分公司", hq)
    bj1 = department(entity, "财富一部", bj)
    bj2 = department(entity, "财富二部", bj)
    sh = department(entity, "上海分公司", hq)
    sh1 = department(entity, "零售部", sh)
    other_hq = department(other, "其他总部")
    users = {
        "admin": user("admin", R.ADMINISTRATOR, hq, mfa=True),
        "compliance": user("compliance", R.COMPLIANCE_OFFICER, hq, mfa=True),
        "auditor": user("auditor", R.AUDITOR, hq, mfa=True),
        "risk": user("risk", R.RISK_OFFICER, hq),
        "manager_bj": user("manager_bj", R.SALES_MANAGER, bj),
        "manager_sh": user("manager_sh", R.SALES_MANAGER, sh),
        "rep_bj1": user("rep_bj1", R.SALES_REP, bj1),
        "rep_bj2": user("rep_bj2", R.SALES_REP, bj2),
        "rep_sh": user("rep_sh", R.SALES_REP, sh1),
        "rep_other": user("rep_other", R.SALES_REP, other_hq),
        "risk_other": user("risk_other", R.RISK_OFFICER, other_hq),
        "norole": user("norole", [], bj1),
    }
    return Org(entity, other, hq, bj, bj1, bj2, sh, sh1, users)


def second_officer(org: Org) -> User:
    """A second compliance officer (ARCHITECTURE.md rule 12: widening a policy needs two)."""
    found = User.objects.filter(username="compliance2").first()
    return found or user("compliance2", R.COMPLIANCE_OFFICER, org.hq, mfa=True)
