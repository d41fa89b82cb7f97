"""Read-only reporting over appraisal data: the public transparency portal (``public``), the
operator dashboard (``dashboard``), an employee's own page and printable documents
(``personal``). Everything here is aggregate SQL (GROUP BY) plus small Python roll-ups over units;
nothing loops over employees issuing queries. Views and templates only format what these return.
"""
