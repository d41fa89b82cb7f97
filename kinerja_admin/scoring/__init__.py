"""Scoring engine: rule loading, validation, set-based SQL computation."""
