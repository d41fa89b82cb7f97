"""Organisational performance and the RHK cascade (issue 17).

* ``rules``         invariants of agreements, goals, programs, indicators, realisations, policies
* ``cascade``       the RHK links (check_cascade_link, what an employee may link to), the cascade
                    tree per OPD and the alignment checks
* ``rollup``        the set-based roll-up of RHK achievements into organisation indicators
* ``effectiveness`` per indicator: own realisation, cascade achievement, employees, IKM; programs
* ``significance``  Welch's t-test and Mann-Whitney U on per-respondent IKM scores (scipy)
* ``impact``        a recorded policy's before/after for the units concerned against the others
* ``publication``   which periods the portal may show
* ``template`` / ``importer``  the programs workbook and its all-or-nothing import
* ``sheet``         the inspector workbook's "Efektivitas Program" sheet
* ``demo``          the demo city's agreements, programs and cascade (called by kinerja_admin.demo)
"""
from __future__ import annotations


class PlanningError(ValueError):
    """A planning rule was broken; str(err) is an Indonesian message for the user."""
