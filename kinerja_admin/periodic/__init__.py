"""Periodic evaluation through the year (PermenPANRB 6/2022): a period's windows (bulanan, triwulanan or
semesteran: windows.py), the employee's realisation per indicator and window and the rater's judgement and
feedback per RHK and window (record.py, under the record policy: PERIODIC_REALISATION and
PERIODIC_JUDGEMENT, open from the window's start to its due date), the annual realisation derived from
the periodic ones where the period's scheme says so (record.derive_annual), and the export of a window's
results for allowance calculation (export.py, a background job)."""
