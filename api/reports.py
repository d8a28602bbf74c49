"""The yearly report (DOMAIN.md §8) as JSON, from reporting.queries.yearly_report over what the user sees.

Numbers are exact decimals written as strings (DRF's rule, so no client reads them through a float): hours to
the hundredth ("2029.45"), FTE to the tenth ("1.3"), shares between 0 and 1 rounded once, half up, to 0.1 %
("0.015" for 1,5 %), exactly as the report's exports (reporting.exports, config.formatting); counts are
integers, "< 5" a hidden count.
"""

from decimal import ROUND_HALF_UP

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from config.routers import reporting_database
from markets.models import Market, MarketType
from organisations.models import BuyerType
from organisations.scoping import scope_of
from reporting.calculations import suppress_small_count
from reporting.dashboards import can_see_yearly_report
from reporting.forms import FIRST_YEAR
from reporting.models import PlacementYear
from reporting.periods import year_period
from reporting.queries import ReportFilters, yearly_report


def shows_small_counts(user) -> bool:
    """Buyers see aggregates only: a count of people between 1 and 4 becomes "< 5" (DOMAIN.md §8)."""
    scope = scope_of(user)
    return scope.is_superuser or bool(scope.facilitation_ids or scope.region_codes)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "enum": ["< 5"]}]})
class PeopleCountField(serializers.Field):
    """A number of people, "< 5" between 1 and 4 for the viewers who see aggregates only."""

    def to_representation(self, value):
        if self.context.get("suppress_small_counts"):
            return suppress_small_count(value)
        return value


HOURS_HELP = "Heures exactes au centième, en chaîne décimale (« 2029.45 »)."
SHARE_HELP = "Part entre 0 et 1 arrondie une fois à 0,1 %, en chaîne décimale (« 0.015 » pour 1,5 %) ; null sans total."


def hours_field(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, help_text=HOURS_HELP, **kwargs)


def share_field():
    return serializers.DecimalField(
        max_digits=7, decimal_places=3, rounding=ROUND_HALF_UP, allow_null=True, help_text=SHARE_HELP
    )


class SummarySerializer(serializers.Serializer):
    hours = hours_field(label="heures")
    fte = serializers.DecimalField(
        max_digits=14,
        decimal_places=1,
        rounding=ROUND_HALF_UP,
        label="équivalents temps plein",
        help_text="Heures ÷ 1 600, au dixième, en chaîne décimale (« 1.3 »).",
    )
    participants = PeopleCountField(label="participant·es")
    contracts = serializers.IntegerField(label="contrats")
    companies = serializers.IntegerField(label="entreprises")
    markets = serializers.IntegerField(label="marchés")
    buyers = serializers.IntegerField(label="acheteurs")


class PublicSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    hours = hours_field()
    participants = PeopleCountField()
    hours_share = share_field()
    participants_share = share_field()


class DimensionRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    hours = hours_field()
    participants = PeopleCountField()
    contracts = serializers.IntegerField()


class NotifiedSerializer(serializers.Serializer):
    markets = serializers.IntegerField()
    lots = serializers.IntegerField()
    target_hours = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    hours = hours_field()


class BreakdownsSerializer(serializers.Serializer):
    department = DimensionRowSerializer(many=True)
    epci = DimensionRowSerializer(many=True)
    qpv = DimensionRowSerializer(many=True)
    market_type = DimensionRowSerializer(many=True)
    buyer_type = DimensionRowSerializer(many=True)
    modality = DimensionRowSerializer(many=True)
    mechanism = DimensionRowSerializer(many=True)

    def to_representation(self, instance):
        return {
            code: DimensionRowSerializer(rows, many=True, context=self.context).data for code, rows in instance.items()
        }


class OutcomeCountsSerializer(serializers.Serializer):
    people = PeopleCountField(help_text="Personnes dont la situation est due à ce moment.")
    counts = serializers.DictField(
        child=PeopleCountField(),
        help_text="Personnes par situation : durable, training, transitional, job_seeking, dropped_out, unknown.",
    )
    shares = serializers.DictField(child=share_field(), help_text="Part de chaque situation parmi les personnes dues.")
    not_recorded = PeopleCountField(help_text="Dont situation non saisie (comptée dans unknown).")
    not_due = PeopleCountField(help_text="Contrats finis depuis moins de six mois : situation pas encore due.")


class OutcomeGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    people = PeopleCountField(help_text="Personnes dont un contrat a pris fin dans l'année (une fois chacune).")
    at_end = OutcomeCountsSerializer()
    after_six_months = OutcomeCountsSerializer()


class OutcomesSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="Date à laquelle les sorties sont lues.")
    total = OutcomeGroupSerializer()
    publics = OutcomeGroupSerializer(many=True)
    market_types = OutcomeGroupSerializer(many=True)


class HeadlineSerializer(serializers.Serializer):
    markets = serializers.IntegerField(label="marchés avec clause")
    hours = hours_field(label="heures")
    fte = serializers.DecimalField(max_digits=14, decimal_places=1, rounding=ROUND_HALF_UP, label="ETP")
    contracts = PeopleCountField(label="contrats")
    participants = PeopleCountField(label="participant·es")
    buyers = serializers.IntegerField(label="acheteurs")
    facilitators = serializers.IntegerField(label="facilitateur·rices")
    host_structures = serializers.IntegerField(label="structures porteuses")


class BandsSerializer(serializers.Serializer):
    esf_ages = PublicSerializer(many=True, help_text="Tranches d'âge du FSE (âge au début du contrat).")
    clause_ages = PublicSerializer(many=True, help_text="Tranches de la pratique des clauses.")
    esf_education = PublicSerializer(many=True, help_text="Niveau d'études en groupes CITE (FSE).")


class YearlyReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    through = serializers.DateField(
        allow_null=True,
        help_text="Année en cours : dernier jour compté (fin du mois précédent) ; l'année et la précédente sont "
        "comptées de janvier à ce mois. null pour une année complète.",
    )
    summary = SummarySerializer()
    previous_summary = SummarySerializer(
        help_text="L'année précédente, sur les mêmes mois quand l'année est partielle."
    )
    previous_full_summary = SummarySerializer(
        help_text="L'année précédente complète (la même que previous_summary quand l'année est complète)."
    )
    publics = PublicSerializer(many=True)
    previous_publics = PublicSerializer(many=True)
    breakdowns = BreakdownsSerializer()
    notified = NotifiedSerializer()
    previous_notified = NotifiedSerializer()
    monthly = MonthSerializer(many=True)
    outcomes = OutcomesSerializer(help_text="Sorties des personnes dont un contrat a pris fin dans l'année.")
    headline = HeadlineSerializer(help_text="Chiffres clés de la consolidation nationale.")
    bands = BandsSerializer(help_text="Tranches du Fonds social européen et de la pratique des clauses.")


class YearlyReportQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=FIRST_YEAR, label="année")
    department = serializers.CharField(required=False, max_length=3, label="département (code INSEE)")
    region = serializers.CharField(required=False, max_length=3, label="région (code INSEE)")
    buyer_type = serializers.ChoiceField(choices=BuyerType.choices, required=False, label="type d'acheteur")
    market_type = serializers.ChoiceField(choices=MarketType.choices, required=False, label="type de marché")

    def validate_year(self, year):
        current = timezone.localdate().year
        if year > current:
            raise serializers.ValidationError(
                f"L'année {year} n'est pas encore commencée (année en cours : {current})."
            )
        return year


class YearlyReportView(APIView):
    """Bilan annuel : heures validées, ETP, participant·es, publics, répartitions, marchés notifiés, sur le
    périmètre que vous voyez, pour l'année demandée et la précédente.

    Nombres décimaux en chaînes exactes : heures au centième (« 2029.45 »), ETP au dixième, parts entre 0 et 1
    arrondies une fois à 0,1 % (« 0.015 »), comme dans les exports du bilan ; effectifs entiers, « < 5 » pour
    un effectif masqué."""

    @extend_schema(
        parameters=[YearlyReportQuerySerializer],
        responses=YearlyReportSerializer,
        summary="Bilan annuel",
    )
    def get(self, request):
        if not can_see_yearly_report(request.user):  # as on the web: buyers have their dashboard
            raise NotFound("Le bilan annuel est réservé aux coordinations et aux structures de facilitation.")
        query = YearlyReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        user = request.user
        period = year_period(params["year"], today=timezone.localdate())
        # On the replica if fit, else (or if it fails while reading) on the primary: config.routers.
        report = reporting_database()(yearly_report)(
            records=PlacementYear.objects.visible_to(user),
            markets=Market.objects.visible_to(user),
            year=params["year"],
            filters=ReportFilters(
                department=params.get("department") or None,
                region=params.get("region") or None,
                buyer_type=params.get("buyer_type") or None,
                market_type=params.get("market_type") or None,
            ),
            through=period.cutoff,
        )
        context = {"request": request, "suppress_small_counts": not shows_small_counts(user)}
        return Response(YearlyReportSerializer(report, context=context).data)
