"""Reference table of trades with their default labour shares (DOMAIN.md §4). Editable afterwards."""

from decimal import Decimal

from django.db import migrations

DEFAULT_TRADES = [
    ("Peinture", "0.70"),
    ("Plâtrerie, cloisons, faux plafonds", "0.60"),
    ("Ravalement de façade", "0.60"),
    ("Carrelage, faïence", "0.60"),
    ("Revêtements de sols souples", "0.55"),
    ("Démolition, désamiantage", "0.55"),
    ("Maçonnerie, gros œuvre", "0.50"),
    ("Couverture, étanchéité", "0.50"),
    ("Électricité courants forts et faibles", "0.50"),
    ("Isolation thermique", "0.50"),
    ("Menuiseries intérieures bois", "0.45"),
    ("Plomberie, chauffage, ventilation", "0.45"),
    ("Charpente bois", "0.40"),
    ("Serrurerie, métallerie", "0.40"),
    ("Voirie et réseaux divers (VRD)", "0.40"),
    ("Menuiseries extérieures aluminium", "0.35"),
    ("Terrassement", "0.30"),
    ("Charpente métallique", "0.20"),
    ("Espaces verts, entretien paysager", "0.60"),
    ("Nettoyage, propreté des locaux", "0.80"),
    ("Collecte et tri des déchets", "0.65"),
    ("Gardiennage, sécurité", "0.75"),
    ("Restauration collective", "0.45"),
    ("Blanchisserie", "0.55"),
    ("Déménagement, manutention", "0.70"),
    ("Maintenance informatique", "0.40"),
    ("Études, ingénierie, maîtrise d'œuvre", "0.30"),
    ("Fournitures et livraison", "0.15"),
]


def add_trades(apps, schema_editor):
    Trade = apps.get_model("markets", "Trade")
    for name, share in DEFAULT_TRADES:
        Trade.objects.update_or_create(name=name, defaults={"default_labour_share": Decimal(share)})


def remove_trades(apps, schema_editor):
    Trade = apps.get_model("markets", "Trade")
    Trade.objects.filter(name__in=[name for name, _ in DEFAULT_TRADES], lots__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("markets", "0002_initial")]

    operations = [migrations.RunPython(add_trades, remove_trades)]
