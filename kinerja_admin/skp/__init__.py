"""The SKP as one document (the SKP page /admin/skp/<plan_id> and the assessment page
/admin/skp/<plan_id>/nilai): what a plan shows its viewer and what the viewer may do on it
(document.py), the changes made there (editing.py), evidence files (evidence.py) and the rater's
judgement as PermenPANRB 6/2022 has it (assessment.py). Views call these; rules stay in the record
policy (kinerja_admin.policy.rules) and the plan workflow (kinerja_admin.workflow.plan)."""
