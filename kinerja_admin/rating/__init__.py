"""360-degree behaviour ratings and the public voice (issue 5).

Plain functions over a SQLAlchemy session, testable without HTTP:

- assignment.py  who rates whom in a period (generator, operator add/remove, completeness)
- service.py     the rating form's rules (pending ratees, submit once, scale checks)
- anonymity.py   role averages with the anonymity threshold (role_averages_for)
- ikm.py         IKM per unit (PermenPANRB 14/2017) and the masyarakat rater role
- feedback.py    storing citizen feedback and hiding abusive comments
"""
from __future__ import annotations

from .common import RatingError

__all__ = ["RatingError"]
