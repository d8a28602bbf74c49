"""The yearly report (DOMAIN.md §8) as JSON, from reporting.queries.yearly_report over what the user sees."""

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
from reporting.models import PlacementYear
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


class SummarySerializer(serializers.Serializer):
    hours = serializers.DecimalField(max_digits=14, decimal_places=2, label="heures")
    fte = serializers.DecimalField(max_digits=14, decimal_places=2, label="équivalents temps plein")
    participants = PeopleCountField(label="participant·es")
    contracts = serializers.IntegerField(label="contrats")
    companies = serializers.IntegerField(label="entreprises")
    markets = serializers.IntegerField(label="marchés")
    buyers = serializers.IntegerField(label="acheteurs")


class PublicSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    participants = PeopleCountField()
    hours_share = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    participants_share = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)


class DimensionRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    participants = PeopleCountField()
    contracts = serializers.IntegerField()


class NotifiedSerializer(serializers.Serializer):
    markets = serializers.IntegerField()
    lots = serializers.IntegerField()
    target_hours = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    hours = serializers.DecimalField(max_digits=14, decimal_places=2)


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


class YearlyReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    summary = SummarySerializer()
    previous_summary = SummarySerializer()
    publics = PublicSerializer(many=True)
    previous_publics = PublicSerializer(many=True)
    breakdowns = BreakdownsSerializer()
    notified = NotifiedSerializer()
    previous_notified = NotifiedSerializer()
    monthly = MonthSerializer(many=True)


class YearlyReportQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, label="année")
    department = serializers.CharField(required=False, max_length=3, label="département (code INSEE)")
    region = serializers.CharField(required=False, max_length=3, label="région (code INSEE)")
    buyer_type = serializers.ChoiceField(choices=BuyerType.choices, required=False, label="type d'acheteur")
    market_type = serializers.ChoiceField(choices=MarketType.choices, required=False, label="type de marché")


class YearlyReportView(APIView):
    """Bilan annuel : heures validées, ETP, participant·es, publics, répartitions, marchés notifiés, sur le
    périmètre que vous voyez, pour l'année demandée et la précédente."""

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
        with reporting_database():
            report = yearly_report(
                records=PlacementYear.objects.visible_to(user),
                markets=Market.objects.visible_to(user),
                year=params["year"],
                filters=ReportFilters(
                    department=params.get("department") or None,
                    region=params.get("region") or None,
                    buyer_type=params.get("buyer_type") or None,
                    market_type=params.get("market_type") or None,
                ),
            )
        context = {"request": request, "suppress_small_counts": not shows_small_counts(user)}
        return Response(YearlyReportSerializer(report, context=context).data)
