"""Objection decided by the rater's superior on the admin page, through the workflow; final."""
from sqlalchemy import select

from kinerja_admin.extensions import db
from kinerja_admin.workflow import objection as objection_flow
from models import Objection, ScoreResult, User
from tests.conftest import login_as


def _filed(published):
    pegawai = published["users"]["pegawai"]
    result = db.session.scalar(select(ScoreResult).where(ScoreResult.employee_id == pegawai.employee_id,
                                                         ScoreResult.period_id == published["periods"]["2025"].id))
    obj = objection_flow.file(db.session, pegawai, result, "Capaian target kedua belum dihitung.")
    db.session.commit()
    decider = db.session.get(type(pegawai.employee), obj.decider_id)
    user = User(username="atasan_penilai", role="penilai", full_name=decider.name, employee_id=decider.id)
    user.set_password("Atasan#Binjai2026")
    db.session.add(user)
    db.session.commit()
    return obj, result, user


def test_rater_superior_accepts_with_a_new_predicate(client, published):
    obj, result, decider = _filed(published)
    login_as(client, decider)
    assert "Putuskan keberatan" in client.get(f"/admin/objection/details/?id={obj.id}").get_data(as_text=True)
    rv = client.post(f"/admin/objection/decide/?id={obj.id}", data={
        "decision": "accept", "reason": "Realisasi target kedua terbukti lengkap.", "new_predicate": "Sangat Baik"})
    assert rv.status_code == 302
    db.session.expire_all()
    assert db.session.get(Objection, obj.id).status == "accepted"
    assert db.session.get(ScoreResult, result.id).predicate == "Sangat Baik"
    # final: a second decision is refused and changes nothing
    html = client.post(f"/admin/objection/decide/?id={obj.id}", data={"decision": "reject", "reason": "x"},
                       follow_redirects=True).get_data(as_text=True)
    assert db.session.get(Objection, obj.id).status == "accepted"
    assert "Putuskan keberatan" not in html


def test_only_the_rater_superior_decides_and_a_reason_is_required(client, published):
    obj, result, decider = _filed(published)
    login_as(client, published["users"]["operator"])
    html = client.post(f"/admin/objection/decide/?id={obj.id}", data={"decision": "reject", "reason": "Tidak berdasar."}).get_data(as_text=True)
    assert "Hanya atasan pejabat penilai" in html
    login_as(client, decider)
    html = client.post(f"/admin/objection/decide/?id={obj.id}", data={"decision": "reject", "reason": "  "}).get_data(as_text=True)
    assert "wajib" in html
    db.session.expire_all()
    assert db.session.get(Objection, obj.id).status == "filed"


def test_objections_cannot_be_edited_as_records(client, published):
    obj, _, _ = _filed(published)
    login_as(client, published["users"]["admin"])
    assert client.get(f"/admin/objection/edit/?id={obj.id}").status_code == 403
    assert client.post(f"/admin/objection/edit/?id={obj.id}", data={"status": "accepted"}).status_code == 403
