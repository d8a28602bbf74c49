"""The public API of the published reports (issue 18, item 3): anonymous, read-only, throttled per client address.

The same rows as the open-data CSV (reporting.public.data_rows, described by reporting.public.schema): only
published versions, under the public small-count rule. No authentication is read (a token or a session changes
nothing), so the answer is the same for everyone.
"""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from config.throttling import client_ip
from reporting import public
from territories.models import Region


class PublicApiThrottle(AnonRateThrottle):
    """CLAUSIER_PUBLIC_API_RATE ("60/minute" by default) per client address (config.throttling.client_ip: the
    X-Forwarded-For header counts only behind TRUSTED_PROXY_COUNT proxies, so a client cannot forge it)."""

    scope = "public"

    def get_rate(self):
        return settings.CLAUSIER_PUBLIC_API_RATE

    def get_ident(self, request):
        return client_ip(request) or ""


class PublicView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicApiThrottle]


class PublicErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


THROTTLED = OpenApiResponse(
    PublicErrorSerializer, description="Trop de requêtes depuis cette adresse : réessayer plus tard."
)


class PublicRegionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code INSEE de la région.")
    nom = serializers.CharField()
    annees = serializers.ListField(
        child=serializers.IntegerField(), help_text="Années publiées, la plus récente d'abord."
    )
    page = serializers.CharField(help_text="Adresse de la page publique de la région.")


class PublicRowSerializer(serializers.Serializer):
    region_code = serializers.CharField()
    region = serializers.CharField()
    annee = serializers.IntegerField()
    version = serializers.IntegerField()
    publie_le = serializers.CharField()
    tableau = serializers.CharField()
    tableau_titre = serializers.CharField()
    ligne = serializers.CharField()
    indicateur = serializers.CharField()
    indicateur_libelle = serializers.CharField()
    valeur = serializers.FloatField(allow_null=True, help_text="Vide (null) lorsque le chiffre est masqué.")
    unite = serializers.CharField()
    masque = serializers.CharField(help_text="« < 5 », « secret » ou vide (chiffre publié).")


class PublicReportSerializer(serializers.Serializer):
    region_code = serializers.CharField()
    region = serializers.CharField()
    annee = serializers.IntegerField()
    version = serializers.IntegerField()
    publie_le = serializers.CharField()
    csv = serializers.CharField(help_text="Adresse du même bilan en CSV.")
    schema = serializers.CharField(help_text="Adresse de la description des colonnes (Table Schema).")
    donnees = PublicRowSerializer(many=True)


class PublicRegionList(PublicView):
    @extend_schema(
        summary="Régions ayant publié un bilan (accès public, sans authentification)",
        responses={200: PublicRegionSerializer(many=True), 429: THROTTLED},
        auth=[],
        tags=["public"],
    )
    def get(self, request):
        return Response(
            [
                {
                    "code": region.code,
                    "nom": region.name,
                    "annees": years,
                    "page": reverse("public:region", args=[public.slug_of(region)]),
                }
                for region, years in public.regions_published()
            ]
        )


class PublicReportView(PublicView):
    @extend_schema(
        summary="Bilan publié d'une région et d'une année, en données ouvertes (accès public, sans authentification)",
        description=(
            "Un chiffre par ligne, comme le CSV des données ouvertes (mêmes colonnes, décrites par le schéma "
            "Table Schema). Dernière version publiée, ou la version demandée. Nombre de requêtes limité par adresse."
        ),
        parameters=[OpenApiParameter("version", int, description="Une version précise (la dernière sinon).")],
        responses={
            200: PublicReportSerializer,
            404: OpenApiResponse(PublicErrorSerializer, description="Région, année ou version sans bilan publié."),
            429: THROTTLED,
        },
        auth=[],
        tags=["public"],
    )
    def get(self, request, region: str, year: int):
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise NotFound("Région inconnue.")
        version = request.query_params.get("version")
        if version is not None and not version.isdigit():
            raise NotFound("Cette version n'existe pas.")
        published = public.published_year(found, year=year, version=int(version) if version else None)
        if published is None:
            raise NotFound("Aucun bilan publié pour cette année ou cette version.")
        slug = public.slug_of(found)
        rows = list(public.data_rows(published))
        return Response(
            {
                "region_code": found.code,
                "region": found.name,
                "annee": published.year,
                "version": published.version,
                "publie_le": rows[0]["publie_le"] if rows else published.published_at.isoformat(),
                "csv": reverse("public:version_csv", args=[slug, year, published.version]),
                "schema": reverse("public:data_schema", args=[slug, year]),
                "donnees": rows,
            }
        )
