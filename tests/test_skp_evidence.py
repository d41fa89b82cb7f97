"""Evidence files of a realisation: the type decided by the content within the allowed types, the size
limit from the settings, a refused file stores nothing (not even its realisation), and a stored file is
served only inside the plan's row scope."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from models import AuditLog, EvidenceFile, Realisation, Setting
from tests.conftest import login_as
from tests.skp_helpers import flashes, plan_of, set_state, users_around

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ooxml(part: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(part, "<x/>")
    return buf.getvalue()


def counts():
    return (db.session.scalar(select(func.count()).select_from(Realisation)),
            db.session.scalar(select(func.count()).select_from(EvidenceFile)))


@pytest.fixture
def running(demo):
    plan = plan_of(demo)
    set_state(plan, "approved", "running")
    return demo, plan, plan.targets[0].indicators[0]


def _realise(client, plan, indicator, name, data, **extra):
    form = {"op": "add", "indicator_id": str(indicator.id), "value": "10", "evidence_note": "Laporan",
            "file": (io.BytesIO(data), name), **extra}
    return client.post(f"/admin/skp/{plan.id}/realisasi", data=form, content_type="multipart/form-data",
                       follow_redirects=True)


@pytest.mark.parametrize("name,data,message", [
    ("program.exe", b"MZ\x90\x00" + b"\x00" * 32, "Jenis berkas 'program.exe' tidak diizinkan"),
    ("bukti.pdf", PNG, "Isi berkas 'bukti.pdf' bukan PDF"),               # a PNG renamed to .pdf
    ("foto.png", PDF, "Isi berkas 'foto.png' bukan gambar PNG"),
    ("laporan.docx", ooxml("xl/workbook.xml"), "bukan dokumen Word"),      # a workbook renamed to .docx
    ("laporan.docx", b"PK\x03\x04 not a zip at all", "bukan dokumen Word"),
    ("kosong.pdf", b"", "kosong"),
    ("../../etc/passwd", b"root:x:0:0", "tidak diizinkan"),
])
def test_a_disallowed_file_is_refused_and_nothing_is_stored(client, running, name, data, message):
    demo, plan, indicator = running
    login_as(client, demo["users"]["pegawai"])
    before, audit = counts(), db.session.scalar(select(func.count()).select_from(AuditLog))
    rv = _realise(client, plan, indicator, name, data)
    assert message in flashes(rv.get_data(as_text=True))
    assert "Tidak ada yang disimpan" in flashes(rv.get_data(as_text=True)) or "tidak ada yang disimpan" in flashes(
        rv.get_data(as_text=True))
    db.session.expire_all()
    assert counts() == before  # neither the file nor the realisation it came with
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == audit


def test_a_file_over_the_size_setting_is_refused(client, running):
    demo, plan, indicator = running
    db.session.get(Setting, "evidence.max_mb").value = "1"
    db.session.commit()
    login_as(client, demo["users"]["pegawai"])
    before = counts()
    rv = _realise(client, plan, indicator, "besar.pdf", PDF + b"0" * (1024 * 1024))
    assert "terlalu besar" in flashes(rv.get_data(as_text=True)) and "paling besar 1 MB" in flashes(
        rv.get_data(as_text=True))
    db.session.expire_all()
    assert counts() == before
    # exactly at the limit is accepted
    rv = _realise(client, plan, indicator, "pas.pdf", PDF + b"0" * (1024 * 1024 - len(PDF)))
    assert "Realisasi dicatat" in flashes(rv.get_data(as_text=True))


def test_allowed_types_come_from_the_setting(client, running):
    demo, plan, indicator = running
    login_as(client, demo["users"]["pegawai"])
    rv = _realise(client, plan, indicator, "lama.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    assert "tidak diizinkan" in flashes(rv.get_data(as_text=True))
    db.session.get(Setting, "evidence.allowed_types").value = "pdf,doc"
    db.session.commit()
    rv = _realise(client, plan, indicator, "lama.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    assert "Realisasi dicatat" in flashes(rv.get_data(as_text=True))
    rv = _realise(client, plan, indicator, "foto.png", PNG)
    assert "Jenis yang diizinkan: PDF, DOC" in flashes(rv.get_data(as_text=True))


def test_a_stored_file_is_served_only_within_the_plans_scope(client, running):
    demo, plan, indicator = running
    users = users_around(demo, plan)
    login_as(client, users["pegawai"])
    rv = _realise(client, plan, indicator, "Laporan Triwulan I.pdf", PDF,
                  evidence_url="https://arsip.binjaikota.go.id/bukti/1")
    assert "Realisasi dicatat" in flashes(rv.get_data(as_text=True))
    row = db.session.scalar(select(EvidenceFile).order_by(EvidenceFile.id.desc()))
    assert (row.filename, row.content_type, row.size, row.recorded_by_id) == (
        "Laporan Triwulan I.pdf", "application/pdf", len(PDF), users["pegawai"].id)
    url = f"/admin/skp/{plan.id}/bukti/{row.id}"
    assert url in client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    for name in ("pegawai", "penilai", "atasan", "operator", "inspektur"):
        login_as(client, users[name])
        rv = client.get(url)
        assert rv.status_code == 200 and rv.data == PDF, name
        assert rv.headers["Content-Disposition"].startswith("attachment") and rv.mimetype == "application/pdf"
        assert "no-store" in rv.headers["Cache-Control"]
    login_as(client, users["lain"])
    assert client.get(url).status_code == 404
    # the file through another plan's URL (one the user may see) is not found either
    login_as(client, users["pegawai"])
    own_2025 = plan_of(demo, code="2025")
    assert client.get(f"/admin/skp/{own_2025.id}/bukti/{row.id}").status_code == 404
    # the audit trail records the upload without the file's bytes
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "evidence_file",
                                                     AuditLog.entity_id == str(row.id)))
    assert entry.action == "insert" and entry.changes["filename"] == "Laporan Triwulan I.pdf"
    assert "content" not in entry.changes and entry.subject_id == plan.employee_id


def test_office_documents_and_images_are_accepted(client, running):
    demo, plan, indicator = running
    login_as(client, demo["users"]["pegawai"])
    for name, data in (("notulen.docx", ooxml("word/document.xml")), ("rekap.xlsx", ooxml("xl/workbook.xml")),
                       ("paparan.pptx", ooxml("ppt/presentation.xml")), ("foto.jpg", b"\xff\xd8\xff\xe0" + b"0" * 32),
                       ("foto.png", PNG)):
        rv = _realise(client, plan, indicator, name, data)
        assert "Realisasi dicatat" in flashes(rv.get_data(as_text=True)), name


def test_evidence_follows_the_record_policy(client, running):
    """Files are the employee's, while the plan runs: not the rater's, and not after the assessment."""
    demo, plan, indicator = running
    login_as(client, demo["users"]["pegawai"])
    _realise(client, plan, indicator, "a.pdf", PDF)
    realisation = db.session.scalar(select(Realisation).order_by(Realisation.id.desc()))
    before = counts()
    login_as(client, demo["users"]["penilai"])
    rv = client.post(f"/admin/skp/{plan.id}/realisasi", content_type="multipart/form-data", follow_redirects=True,
                     data={"op": "attach", "realisation_id": str(realisation.id), "file": (io.BytesIO(PDF), "b.pdf")})
    assert "dapat ditambahkan hanya pegawai yang bersangkutan" in flashes(rv.get_data(as_text=True))
    set_state(plan, "assessed", "assessing")
    login_as(client, demo["users"]["pegawai"])
    rv = client.post(f"/admin/skp/{plan.id}/realisasi", content_type="multipart/form-data", follow_redirects=True,
                     data={"op": "attach", "realisation_id": str(realisation.id), "file": (io.BytesIO(PDF), "c.pdf")})
    assert "saat SKP berstatus Disetujui atau Realisasi" in flashes(rv.get_data(as_text=True))
    file_id = realisation.files[0].id
    rv = client.post(f"/admin/skp/{plan.id}/realisasi", data={"op": "delete_file", "realisation_id": realisation.id,
                                                              "file_id": file_id}, follow_redirects=True)
    assert "dapat dihapus hanya" in flashes(rv.get_data(as_text=True))
    db.session.expire_all()
    assert counts() == before
