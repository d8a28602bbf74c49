"""The reporting summary (reporting.models.PlacementYear) has no admin: it is written only by the services of the
apps it copies (markets, clauses, organisations, territories, beneficiaries) and by the full rebuild
(`manage.py rebuild_summary`). The admin edits those apps' models through their services (config.admin)."""
