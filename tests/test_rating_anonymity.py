"""Anonymity of peer and subordinate ratings: averages only, only from k raters; rater identities
of peers and subordinates visible to admin only."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kinerja_admin.extensions import db
from kinerja_admin.rating.anonymity import role_averages_for
from kinerja_admin.rating.common import RatingError
from kinerja_admin.rating.service import submit_ratings
from models import BehaviourAspect, Employee, Period, RaterAssignment, ScoringScheme, Setting, Unit, User
from tests.conftest import login_as


@pytest.fixture
def team(app):
    scheme = ScoringScheme(code="UJI-360", name="Uji 360", kind="numeric", scale_min=Decimal(1),
                           scale_max=Decimal(5))
    scheme.aspects = [BehaviourAspect(code="A", name="Kerja sama", seq=1),
                      BehaviourAspect(code="B", name="Komitmen", seq=2)]
    unit = Unit(code="UJI", name="Bagian Uji", kind="Bagian")
    db.session.add_all([scheme, unit])
    db.session.flush()
    period = Period(code="2031", name="Periode 2031", start_date=dt.date(2031, 1, 1),
                    end_date=dt.date(2031, 12, 31), status="assessing", scheme_id=scheme.id)
    db.session.add(period)

    def emp(i, name, superior=None):
        e = Employee(nip=f"19800101200501{1 if i % 2 else 2}{i:03d}", name=name, unit_id=unit.id,
                     superior_id=superior.id if superior else None)
        db.session.add(e)
        db.session.flush()
        return e

    boss = emp(1, "Kepala Bagian Uji")
    ratee = emp(2, "Pegawai Dinilai", boss)
    peers = [emp(3 + i, f"Rekan Rahasia {i}") for i in range(4)]
    outsider = emp(9, "Pegawai Lain")
    users = {}
    for username, role, e in [("adm", "admin", None), ("opr", "operator", None), ("insp", "inspektur", None),
                              ("boss", "penilai", boss), ("ratee", "pegawai", ratee),
                              ("outsider", "pegawai", outsider), ("peer0", "pegawai", peers[0])]:
        u = User(username=username, role=role, full_name=username, employee_id=e.id if e else None,
                 password_hash="x")
        db.session.add(u)
        users[username] = u
    db.session.flush()
    assignments = [RaterAssignment(period_id=period.id, ratee_id=ratee.id, rater_id=p.id, role="rekan")
                   for p in peers]
    atasan = RaterAssignment(period_id=period.id, ratee_id=ratee.id, rater_id=boss.id, role="atasan")
    db.session.add_all(assignments + [atasan])
    db.session.commit()
    return dict(period=period, scheme=scheme, boss=boss, ratee=ratee, peers=peers, users=users,
                peer_assignments=assignments, atasan=atasan)


def _rate(t, assignment, a, b):
    aspects = t["scheme"].aspects
    submit_ratings(db.session, assignment.id, assignment.rater_id, {aspects[0].id: str(a), aspects[1].id: str(b)})
    db.session.commit()


def test_threshold_k_minus_one_hidden_k_shown(team):
    t = team
    viewer = t["users"]["ratee"]
    _rate(t, t["atasan"], 4, 4)
    _rate(t, t["peer_assignments"][0], 5, 4)
    _rate(t, t["peer_assignments"][1], 3, 3)
    res = role_averages_for(db.session, t["period"], t["ratee"], viewer)
    assert res["atasan"].visible and res["atasan"].average == Decimal(4)
    rekan = res["rekan"]
    assert rekan.raters == 2 and not rekan.visible
    assert rekan.average is None and rekan.aspects == {}
    assert "minimal 3" in rekan.note
    assert not res["bawahan"].visible

    _rate(t, t["peer_assignments"][2], 4, 5)  # the k-th rater
    res = role_averages_for(db.session, t["period"], t["ratee"], viewer)
    rekan = res["rekan"]
    assert rekan.visible and rekan.raters == 3
    assert rekan.average == Decimal(24) / 6  # (5+4+3+3+4+5) / 6
    assert rekan.aspects == {"Kerja sama": Decimal(4), "Komitmen": Decimal(4)}
    assert rekan.average_display == Decimal("4.00")


def test_threshold_is_a_setting(team):
    t = team
    db.session.get(Setting, "rating.anonymity_k").value = "2"
    db.session.commit()
    _rate(t, t["peer_assignments"][0], 5, 5)
    assert not role_averages_for(db.session, t["period"], t["ratee"], t["users"]["ratee"])["rekan"].visible
    _rate(t, t["peer_assignments"][1], 3, 3)
    res = role_averages_for(db.session, t["period"], t["ratee"], t["users"]["boss"])
    assert res["rekan"].visible and res["rekan"].average == Decimal(4)


def test_only_ratee_superior_and_staff_may_look(team):
    t = team
    for name in ("ratee", "boss", "adm", "opr", "insp"):
        role_averages_for(db.session, t["period"], t["ratee"].id, t["users"][name])
    for name in ("outsider", "peer0"):
        with pytest.raises(RatingError, match="tidak berhak"):
            role_averages_for(db.session, t["period"], t["ratee"], t["users"][name])


def test_peer_identities_visible_to_admin_only(client, team):
    t = team
    _rate(t, t["peer_assignments"][0], 5, 5)
    names = [p.name for p in t["peers"]]
    for username in ("opr", "insp"):
        login_as(client, t["users"][username])
        for url in ("/admin/rater_assignment/?page_size=100",
                    f"/admin/rater_assignment/details/?id={t['peer_assignments'][0].id}"):
            html = client.get(url).get_data(as_text=True)
            assert "dirahasiakan" in html, (username, url)
            assert not any(n in html for n in names), (username, url)
        assert t["boss"].name in client.get("/admin/rater_assignment/?page_size=100").get_data(as_text=True)
    login_as(client, t["users"]["adm"])
    html = client.get("/admin/rater_assignment/?page_size=100").get_data(as_text=True)
    assert all(n in html for n in names)
    # a peer sees their own row (they are the rater), nobody else's
    login_as(client, t["users"]["peer0"])
    html = client.get("/admin/rater_assignment/?page_size=100").get_data(as_text=True)
    assert names[0] in html and not any(n in html for n in names[1:])


def test_audit_trail_never_names_a_peer_rater(app, demo):
    """An assignment edited through the ORM (as the admin view does) is audited without the rater."""
    from kinerja_admin.extensions import db as _db
    from models import AuditLog, RaterAssignment

    peer = _db.session.scalar(_db.select(RaterAssignment).where(RaterAssignment.role == "rekan"))
    other = next(e for e in demo["employees"] if e.id not in (peer.rater_id, peer.ratee_id))
    peer.rater_id = other.id
    _db.session.commit()
    row = _db.session.scalar(_db.select(AuditLog).where(AuditLog.entity == "rater_assignment",
                                                        AuditLog.entity_id == str(peer.id)))
    assert row is not None and row.changes["rater_id"] == "(dirahasiakan)"
    assert str(other.id) not in str(row.changes)


def test_explanation_page_hides_peer_figures_below_the_threshold(app, client, demo):
    """Kinerja explanation: the employee does not see per-aspect peer averages from fewer than k raters."""
    from kinerja_admin.extensions import db as _db
    from kinerja_admin.scoring.engine import result_details, score_period
    from models import ScoreResult, Setting
    from tests.conftest import login_as

    period = demo["periods"]["2025"]
    score_period(_db.session, period)
    _db.session.commit()
    pegawai = demo["users"]["pegawai"]
    result = _db.session.scalar(_db.select(ScoreResult).where(ScoreResult.period_id == period.id,
                                                              ScoreResult.employee_id == pegawai.employee_id))
    peers = max((n for role, _, _, n in result_details(_db.session, result) if role == "rekan"), default=None)
    assert peers, "the demo pegawai is rated by peers"
    _db.session.get(Setting, "rating.anonymity_k").value = str(peers + 1)
    _db.session.commit()
    login_as(client, pegawai)
    html = client.get(f"/admin/score_result/explain/?id={result.id}").get_data(as_text=True)
    assert "Dirahasiakan" in html
    _db.session.get(Setting, "rating.anonymity_k").value = str(peers)
    _db.session.commit()
    html = client.get(f"/admin/score_result/explain/?id={result.id}").get_data(as_text=True)
    assert "Dirahasiakan" not in html
