"""Citizen feedback (IKM questionnaire): filled in by the 360/public-voice issue."""
from __future__ import annotations
