"""The server's work, grouped by domain. Endpoints (``server.api``) stay thin and call these;
services never import FastAPI (an import-linter contract in pyproject.toml checks it).

- ``sync``: what enumerators' devices do: claims and their limits, pushes (one planner, two
  write strategies), interview versions, handover of a quiet device's cases.
- ``cases``: the case record and supervisors' decisions on it: sample import, assignments and
  their history, the case plan (dispositions), exclusions, appointment bounds, supervision.
- ``catalogue``: services, questionnaire versions (and XLSForm reading), calling rules.
- ``reporting``: progress, response rates and the queries behind the analyst export.
- ``accounts``: users, passwords, the signed-in identity (``accounts.identity``), admin changes.
- ``ops``: backups and demo data.

Read-side queries live beside the writes of their domain, in modules named for what they show:
``cases.case_views`` (the holder's case view and the supervisor's case table),
``reporting.reporting`` and ``reporting.exports`` (counts and streams for reports and
workbooks). They open no transaction of their own: callers read through ``ctx.read()``.
"""
