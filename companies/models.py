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

from companies.choices import Capacity


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
