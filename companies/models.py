"""Company accounts (issue 15, point 1): a company contact reaches given lots through a CompanyAccess.

A company contact is a user with a Membership in an employer organisation (a company, or an insertion structure
such as a GEIQ or an SIAE): the header, the organisation switcher and the scope (organisations.scoping) work as for
every other organisation. The membership alone opens nothing: each lot is granted by the facilitation structure
following it, as holder of the lot or as employer of placements on it, and can be revoked. Rows are never deleted:
the granted and revoked dates are the access's history (the journal has one entry per event too).

What a contact sees (DOMAIN.md §9, §11): its lots (reference, title, dates), the placements its company employs on
them, and the people on these placements reduced to last name and first name, which it knows as their employer.
Never a criterion, a birth date, an address, a prescriber, another company's placement or another lot.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from companies.choices import Capacity, DeclarationAction, DeclarationStatus, ProposalStatus


class CompanyAccessQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at=None)

    def of_user(self, user):
        """The active accesses the user works through: those of the companies of its current scope (the one shown in
        the header, organisations.scoping), none for an anonymous or inactive user."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if not scope.company_ids:
            return self.none()
        return self.active().filter(membership__user=user, membership__organisation__in=scope.company_ids)


class CompanyAccess(models.Model):
    membership = models.ForeignKey(
        "organisations.Membership",
        on_delete=models.CASCADE,
        related_name="company_accesses",
        verbose_name="contact de l'entreprise",
    )
    lot = models.ForeignKey(
        "markets.Lot", on_delete=models.PROTECT, related_name="company_accesses", verbose_name="lot"
    )
    capacity = models.CharField("au titre de", max_length=10, choices=Capacity.choices)
    granted_by = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="granted_company_accesses",
        verbose_name="accordé par la structure",
    )
    granted_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="par"
    )
    granted_at = models.DateTimeField("accordé le", auto_now_add=True)
    accepted_at = models.DateTimeField("invitation acceptée le", null=True, blank=True)
    revoked_at = models.DateTimeField("retiré le", null=True, blank=True)
    revoked_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="retiré par",
    )

    objects = CompanyAccessQuerySet.as_manager()

    class Meta:
        verbose_name = "accès d'une entreprise à un lot"
        verbose_name_plural = "accès des entreprises aux lots"
        ordering = ["lot", "membership__organisation__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "lot"],
                condition=Q(revoked_at=None),
                name="companyaccess_one_active_per_contact_and_lot",
                violation_error_message="Cette personne a déjà accès à ce lot pour cette entreprise.",
            )
        ]

    def __str__(self):
        return f"{self.membership.user.email} – {self.lot} ({self.get_capacity_display()})"

    @property
    def company(self):
        return self.membership.organisation

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def lots_of(user):
    """The lots a company contact reaches (its active accesses, in its current scope)."""
    from markets.models import Lot

    return Lot.objects.filter(pk__in=CompanyAccess.objects.of_user(user).values("lot"))


def placements_of(user):
    """The placements a company contact sees: on a lot it reaches, employed by the company that reaches it. The same
    rule for a holder and for an employer (subcontractor, temp agency, GEIQ, SIAE): each sees its own employees,
    never those of another company on the same lot."""
    from beneficiaries.models import Placement

    accesses = CompanyAccess.objects.of_user(user)
    return Placement.objects.filter(
        models.Exists(accesses.filter(lot=models.OuterRef("lot"), membership__organisation=models.OuterRef("employer")))
    )


class Declaration(models.Model):
    """A company's monthly declaration of the hours of the people it employs on a lot (issue 15, points 2 and 3).

    The hours themselves are the HoursRecord rows of its placements for the month (beneficiaries.services writes
    them); the declaration carries where the month stands and who must act next. Its status changes only through
    companies.declarations, under a row lock, and each step is a DeclarationEvent (the timeline)."""

    lot = models.ForeignKey("markets.Lot", on_delete=models.PROTECT, related_name="declarations", verbose_name="lot")
    company = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name="entreprise",
    )
    month = models.DateField("mois")  # the first day of the month
    status = models.CharField(
        "état", max_length=12, choices=DeclarationStatus.choices, default=DeclarationStatus.TO_DECLARE
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "déclaration mensuelle"
        verbose_name_plural = "déclarations mensuelles"
        ordering = ["lot", "-month", "company__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "company", "month"], name="declaration_one_per_lot_company_month")
        ]

    def __str__(self):
        return f"{self.lot} – {self.company} – {self.month:%m/%Y} ({self.get_status_display()})"

    @property
    def next_step(self) -> str:
        return NEXT_STEP[self.status]

    @property
    def is_locked(self) -> bool:
        return self.status in (DeclarationStatus.VALIDATED, DeclarationStatus.CLOSED)


NEXT_STEP = {
    DeclarationStatus.TO_DECLARE: "À l'entreprise de déclarer",
    DeclarationStatus.SUBMITTED: "À la facilitatrice de valider",
    DeclarationStatus.CORRECTION_REQUESTED: "À l'entreprise de corriger",
    DeclarationStatus.RESUBMITTED: "À la facilitatrice de valider",
    DeclarationStatus.VALIDATED: "À la facilitatrice de clôturer",
    DeclarationStatus.CLOSED: "Aucune action attendue",
}


class DeclarationEvent(models.Model):
    """One step of a declaration's timeline: who, when, from and to which status, the comment, the rows concerned
    (placement ids) and what changed (`changes`: per placement, the hours and training hours before and after, as
    strings). People are referred to by their placement, never copied here: an anonymised person stays so."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("étape", max_length=12, choices=DeclarationAction.choices)
    from_status = models.CharField("état avant", max_length=12, choices=DeclarationStatus.choices)
    to_status = models.CharField("état après", max_length=12, choices=DeclarationStatus.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="par"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="pour",
    )
    created_at = models.DateTimeField("le", auto_now_add=True)
    comment = models.TextField("commentaire", blank=True)
    placements = models.JSONField("lignes concernées", default=list, blank=True)
    changes = models.JSONField("modifications", default=list, blank=True)

    class Meta:
        verbose_name = "étape d'une déclaration"
        verbose_name_plural = "étapes des déclarations"
        ordering = ["declaration", "created_at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.created_at:%d/%m/%Y %H:%M})"


class PersonProposal(models.Model):
    """A new person a company proposes to employ on a lot (issue 15, point 2). The company gives what it knows as
    employer; the facilitator of the lot checks eligibility and accepts (companies.proposals.accept: the person is
    created, or found by name and birth date in the structure, and the placement created by beneficiaries.services,
    employer = the company) or refuses with a reason. The company never validates anything."""

    lot = models.ForeignKey(
        "markets.Lot", on_delete=models.PROTECT, related_name="person_proposals", verbose_name="lot"
    )
    company = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="person_proposals",
        verbose_name="entreprise",
    )
    last_name = models.CharField("nom", max_length=100)
    first_name = models.CharField("prénom", max_length=100)
    birth_date = models.DateField("date de naissance", null=True)  # cleared by the anonymisation
    modality = models.CharField("type de contrat", max_length=30)  # beneficiaries.choices.Modality
    start_date = models.DateField("début du contrat")
    end_date = models.DateField("fin du contrat", null=True, blank=True)
    weekly_hours = models.DecimalField("heures par semaine", max_digits=4, decimal_places=1, null=True, blank=True)
    status = models.CharField("état", max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="proposée par"
    )
    proposed_at = models.DateTimeField("proposée le", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="examinée par",
    )
    decided_at = models.DateTimeField("examinée le", null=True, blank=True)
    refusal_reason = models.TextField("motif du refus", blank=True)
    placement = models.ForeignKey(
        "beneficiaries.Placement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="contrat créé",
    )

    class Meta:
        verbose_name = "proposition de personne"
        verbose_name_plural = "propositions de personnes"
        ordering = ["lot", "-proposed_at", "pk"]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name} – {self.lot} ({self.get_status_display()})"

    @property
    def modality_label(self) -> str:
        from beneficiaries.choices import Modality

        return Modality(self.modality).label if self.modality in Modality.values else self.modality
