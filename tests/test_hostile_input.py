"""Hostile input corpus (tests/data/hostile_strings.txt): stored as text, rendered escaped, harmless
in search and filters; oversized input refused with a message; the app keeps serving."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from models import Employee, Unit
from tests.conftest import login_as

PAYLOADS = [line for line in (Path(__file__).parent / "data" / "hostile_strings.txt").read_text("utf-8").splitlines()
            if line and not line.startswith("# ")]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_free_text_is_stored_verbatim_and_rendered_escaped(client, demo, payload):
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/unit/new/", data={"code": "UJI-1", "name": payload, "kind": "Bidang", "active": "y"})
    assert rv.status_code == 302, rv.get_data(as_text=True)[-500:]
    unit = db.session.scalar(select(Unit).where(Unit.code == "UJI-1"))
    assert unit.name == payload
    for url in ("/admin/unit/?search=UJI", f"/admin/unit/details/?id={unit.id}", f"/admin/unit/edit/?id={unit.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg/onload" not in html
    db.session.delete(unit)
    db.session.commit()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_search_is_harmless(client, demo, payload):
    login_as(client, demo["users"]["inspektur"])
    before = db.session.scalar(select(func.count()).select_from(Employee))
    rv = client.get("/admin/employee/", query_string={"search": payload})
    assert rv.status_code == 200
    assert "<script>alert" not in rv.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Employee)) == before


def test_oversized_input_is_refused_with_a_message(client, demo):
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/unit/new/", data={"code": "UJI-2", "name": "x" * 5000, "kind": "Bidang"})
    assert rv.status_code == 200
    assert db.session.scalar(select(Unit).where(Unit.code == "UJI-2")) is None
    assert client.get("/admin/unit/").status_code == 200


def test_filter_args_with_garbage_do_not_break_the_list(client, demo):
    login_as(client, demo["users"]["operator"])
    for qs in ({"flt0_0": "' OR 1=1 --"}, {"flt99_99": "x"}, {"sort": "999"}, {"page": "-5"},
               {"page_size": "100000"}, {"search": "%" * 300}):
        assert client.get("/admin/employee/", query_string=qs).status_code == 200, qs
