"""Notification settings of a user (issue 16 point 6)."""

KINDS = {
    "company_reminder": "Rappels de déclaration mensuelle",
    "declaration_events": "Suivi des déclarations (transmise, correction demandée, validée)",
    "at_risk_digest": "Lots devenus à risque (hebdomadaire)",
    "due_dates_digest": "Échéances à venir (hebdomadaire)",
}


def allowed(user, kind: str) -> bool:
    """Whether `user` still wants the messages of `kind` (stub: always)."""
    return True
