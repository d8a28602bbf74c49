"""Optional geocoding of an address through the national address API (api-adresse.data.gouv.fr style:
`GET {GEOCODER_URL}?q=...&citycode=...&limit=1`, answering a GeoJSON FeatureCollection).

Off unless `settings.GEOCODER_URL` is set. A short timeout; any failure (network, HTTP status, unreadable
answer, no result, a result too vague) is logged and gives None: the caller saves without coordinates.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

logger = logging.getLogger(__name__)

# A result located only at the commune or with a low score says nothing about the neighbourhood.
PRECISE_TYPES = frozenset({"housenumber", "street", "locality"})
MIN_SCORE = 0.5


@dataclass(frozen=True)
class Location:
    latitude: Decimal
    longitude: Decimal


def geocoding_enabled() -> bool:
    return bool(getattr(settings, "GEOCODER_URL", ""))


def geocode(address: str, *, citycode: str | None = None) -> Location | None:
    """The address's location, or None (geocoding off, or failed: logged)."""
    url = getattr(settings, "GEOCODER_URL", "")
    if not url or not address.strip():
        return None
    query = {"q": address.strip()[:200], "limit": "1"}
    if citycode:
        query["citycode"] = citycode
    request_url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(query)}"
    if not request_url.startswith(("http://", "https://")):
        logger.warning("Géocodage ignoré : GEOCODER_URL doit commencer par http:// ou https://.")
        return None
    try:
        with urllib.request.urlopen(request_url, timeout=settings.GEOCODER_TIMEOUT_SECONDS) as response:  # noqa: S310
            data = json.loads(response.read(1_000_000).decode("utf-8"))
        feature = data["features"][0]
        properties = feature.get("properties", {})
        if properties.get("type") not in PRECISE_TYPES or float(properties.get("score", 0)) < MIN_SCORE:
            logger.info("Géocodage trop imprécis, ignoré (type %s).", properties.get("type"))
            return None
        longitude, latitude = feature["geometry"]["coordinates"][:2]
        location = Location(
            latitude=Decimal(str(latitude)).quantize(Decimal("0.000001")),
            longitude=Decimal(str(longitude)).quantize(Decimal("0.000001")),
        )
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:  # URLError and timeouts are OSError
        logger.warning("Géocodage impossible, adresse enregistrée sans coordonnées : %s", error.__class__.__name__)
        return None
    if not (-90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
        logger.warning("Géocodage ignoré : coordonnées hors bornes.")
        return None
    return location
