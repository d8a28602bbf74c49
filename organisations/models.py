"""Users, organisations (buyers, companies, insertion structures, facilitation and coordination bodies)
and memberships with a role."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from stdnum.fr import siret as siret_number

from organisations.choices import BuyerType, InsertionType, OrganisationKind, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in with an e-mail address."""

    username = None
    email = models.EmailField("adresse e-mail", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = "utilisateur·rice"
        verbose_name_plural = "utilisateur·rices"
        ordering = ["email"]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} <{self.email}>" if full_name else self.email


def validate_siret(value: str) -> None:
    if not siret_number.is_valid(value):
        raise ValidationError("SIRET invalide : 14 chiffres dont la clé de contrôle doit être juste.")


# Kinds that are shared reference data: every user with a membership sees them (to pick a buyer, a
# contractor or an employer); facilitation and coordination bodies are seen by their members only.
SHARED_KINDS = ("buyer", "company", "insertion")


class OrganisationQuerySet(models.QuerySet):
    def of_kind(self, kind):
        return self.filter(kind=kind)

    def visible_to(self, user):
        """Shared kinds for any member of an organisation, one's own organisations, and for a coordination
        body the facilitation structures of its region (see organisations.scoping)."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if scope.is_superuser:
            return self.all()
        if scope.is_empty:
            return self.none()
        if scope.is_company_only:  # a company contact sees its own organisations, not the directory
            return self.filter(pk__in=scope.organisation_ids)
        q = Q(kind__in=SHARED_KINDS) | Q(pk__in=scope.organisation_ids)
        if scope.region_codes:
            q |= Q(kind=OrganisationKind.FACILITATION, region__in=scope.region_codes)
        return self.filter(q)


SIRET_REQUIRED = "Le SIRET est obligatoire pour une entreprise ou une structure d'insertion."


class Organisation(models.Model):
    name = models.CharField("nom", max_length=200, db_index=True)
    kind = models.CharField("nature", max_length=20, choices=OrganisationKind.choices, db_index=True)
    buyer_type = models.CharField(
        "type d'acheteur", max_length=20, choices=BuyerType.choices, blank=True, db_index=True
    )
    insertion_type = models.CharField(
        "type de structure d'insertion", max_length=10, choices=InsertionType.choices, blank=True
    )
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret], db_index=True)
    commune = models.ForeignKey(
        "territories.Commune", on_delete=models.PROTECT, null=True, blank=True, verbose_name="commune"
    )
    region = models.ForeignKey(
        "territories.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="région couverte",
        help_text="Pour une coordination régionale ou une structure de facilitation.",
    )
    email = models.EmailField("e-mail de contact", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    # For a facilitation structure: the day of the month by which companies declare the previous month's hours
    # (issue 16, point 3: reminders before it, and after it with the facilitators in copy). 28 at most, so that it
    # exists in every month.
    declaration_deadline_day = models.PositiveSmallIntegerField(
        "date limite de déclaration (jour du mois)",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=(
            "Jour du mois (de 1 à 28) avant lequel les entreprises déclarent les heures du mois précédent. "
            "Clausier leur envoie un rappel 3 jours avant, puis un second le lendemain, avec la structure en copie."
        ),
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="buyer", buyer_type__gt="") | (~Q(kind="buyer") & Q(buyer_type="")),
                name="organisation_buyer_type_iff_buyer",
                violation_error_message="Un acheteur doit avoir un type d'acheteur, et seul un acheteur en a un.",
            ),
            models.CheckConstraint(
                condition=Q(kind="insertion", insertion_type__gt="") | (~Q(kind="insertion") & Q(insertion_type="")),
                name="organisation_insertion_type_iff_insertion",
                violation_error_message=(
                    "Une structure d'insertion doit avoir un type, et seule une structure d'insertion en a un."
                ),
            ),
            models.UniqueConstraint(
                fields=["siret"],
                condition=~Q(siret=""),
                name="organisation_siret_unique",
                violation_error_message="Une organisation avec ce SIRET existe déjà.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        """Rules of every route (forms, API, admin, services): the type of a buyer or an insertion structure, and
        the SIRET of an employer (a company or an insertion structure)."""
        super().clean()
        errors = {}
        if self.kind == OrganisationKind.BUYER and not self.buyer_type:
            errors["buyer_type"] = ValidationError("Indiquez le type d'acheteur.", code="buyer_type_required")
        if self.kind == OrganisationKind.INSERTION and not self.insertion_type:
            errors["insertion_type"] = ValidationError(
                "Indiquez le type de structure d'insertion.", code="insertion_type_required"
            )
        if self.is_employer_kind and not self.siret:
            errors["siret"] = ValidationError(SIRET_REQUIRED, code="siret_required")
        if errors:
            raise ValidationError(errors)

    @property
    def is_employer_kind(self) -> bool:
        return self.kind in (OrganisationKind.COMPANY, OrganisationKind.INSERTION)


class Membership(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name="utilisateur·rice"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name="organisation"
    )
    role = models.CharField("rôle", max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField("depuis le", auto_now_add=True)

    class Meta:
        verbose_name = "appartenance"
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                name="membership_unique_user_organisation",
                violation_error_message="Cette personne est déjà membre de cette organisation.",
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"
