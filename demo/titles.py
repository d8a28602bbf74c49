"""Market title templates for the demo region, by market type and sector.

A template is (title pattern, buyer types it suits or None for any, sector, lot titles with their trade name).
The sector drives the calibration method, the usual mechanisms and the modalities of the placements.
"""

from markets.models import MarketType
from organisations.models import BuyerType

LANDLORD = (BuyerType.SOCIAL_LANDLORD,)
CITY = (BuyerType.MUNICIPALITY,)

BUILDING_LOTS = [
    ("Gros œuvre, maçonnerie", "Maçonnerie, gros œuvre"),
    ("Démolition, désamiantage", "Démolition, désamiantage"),
    ("Charpente, couverture", "Couverture, étanchéité"),
    ("Menuiseries extérieures", "Menuiseries extérieures aluminium"),
    ("Menuiseries intérieures", "Menuiseries intérieures bois"),
    ("Plâtrerie, cloisons, faux plafonds", "Plâtrerie, cloisons, faux plafonds"),
    ("Peinture, revêtements muraux", "Peinture"),
    ("Électricité courants forts et faibles", "Électricité courants forts et faibles"),
    ("Plomberie, chauffage, ventilation", "Plomberie, chauffage, ventilation"),
    ("Isolation thermique par l'extérieur", "Isolation thermique"),
    ("Carrelage, faïence", "Carrelage, faïence"),
    ("Sols souples", "Revêtements de sols souples"),
    ("Serrurerie, métallerie", "Serrurerie, métallerie"),
    ("Ravalement de façades", "Ravalement de façade"),
]
ROAD_LOTS = [
    ("Terrassements, voirie", "Voirie et réseaux divers (VRD)"),
    ("Réseaux secs et éclairage public", "Électricité courants forts et faibles"),
    ("Terrassements généraux", "Terrassement"),
    ("Espaces verts, plantations", "Espaces verts, entretien paysager"),
    ("Mobilier urbain, serrurerie", "Serrurerie, métallerie"),
]
STEEL_LOTS = [
    ("Charpente métallique", "Charpente métallique"),
    ("Gros œuvre", "Maçonnerie, gros œuvre"),
    ("Bardage, couverture", "Couverture, étanchéité"),
    ("Électricité", "Électricité courants forts et faibles"),
]

# (pattern, buyer types or None, sector, lots)
TEMPLATES = {
    MarketType.WORKS: [
        ("Réhabilitation de {n} logements – résidence {residence}", LANDLORD, "building", BUILDING_LOTS),
        ("Rénovation thermique de {n} logements à {commune}", LANDLORD, "building", BUILDING_LOTS),
        ("Construction du groupe scolaire {facility} à {commune}", CITY, "building", BUILDING_LOTS),
        (
            "Rénovation énergétique du collège {facility} à {commune}",
            (BuyerType.DEPARTMENT,),
            "building",
            BUILDING_LOTS,
        ),
        ("Restructuration du lycée {facility} à {commune}", (BuyerType.REGION,), "building", BUILDING_LOTS),
        ("Extension du pôle de médecine – {buyer}", (BuyerType.HOSPITAL,), "building", BUILDING_LOTS),
        ("Requalification de la {street} à {commune}", CITY, "road", ROAD_LOTS),
        ("Renforcement de chaussée de la RD {n} à {commune}", (BuyerType.DEPARTMENT,), "road", ROAD_LOTS),
        ("Aménagement d'une voie verte à {commune}", (BuyerType.DEPARTMENT, BuyerType.REGION), "road", ROAD_LOTS),
        ("Réhabilitation de la caserne de gendarmerie de {commune}", (BuyerType.STATE,), "building", BUILDING_LOTS),
        ("Mise en sécurité de la RN {n} – section de {commune}", (BuyerType.STATE,), "road", ROAD_LOTS),
        ("Rénovation du bâtiment universitaire {facility}", (BuyerType.OTHER_PUBLIC,), "building", BUILDING_LOTS),
        ("Construction d'un centre de secours à {commune}", (BuyerType.OTHER_PUBLIC,), "building", BUILDING_LOTS),
        ("Construction d'un dépôt de bus à {commune}", (BuyerType.PRIVATE,), "steel", STEEL_LOTS),
        ("Construction d'un gymnase à {commune}", (*CITY, BuyerType.DEPARTMENT, BuyerType.REGION), "steel", STEEL_LOTS),
        ("Travaux d'entretien et de grosses réparations du patrimoine bâti", None, "building", BUILDING_LOTS),
    ],
    MarketType.SERVICES: [
        (
            "Nettoyage des locaux administratifs",
            None,
            "cleaning",
            [("Nettoyage des bureaux – secteur {sector}", "Nettoyage, propreté des locaux")],
        ),
        (
            "Nettoyage et entretien des parties communes",
            LANDLORD,
            "cleaning",
            [("Entretien des parties communes – secteur {sector}", "Nettoyage, propreté des locaux")],
        ),
        (
            "Entretien des espaces verts",
            (*CITY, *LANDLORD, BuyerType.DEPARTMENT),
            "green",
            [("Tonte, taille et désherbage – secteur {sector}", "Espaces verts, entretien paysager")],
        ),
        (
            "Collecte et tri des déchets ménagers et assimilés",
            CITY,
            "waste",
            [("Collecte en porte-à-porte – secteur {sector}", "Collecte et tri des déchets")],
        ),
        (
            "Restauration collective des écoles et accueils de loisirs",
            CITY,
            "catering",
            [("Préparation et livraison des repas – secteur {sector}", "Restauration collective")],
        ),
        (
            "Restauration des patients et du personnel",
            (BuyerType.HOSPITAL,),
            "catering",
            [("Restauration – site {sector}", "Restauration collective")],
        ),
        (
            "Blanchisserie et location-entretien du linge",
            (BuyerType.HOSPITAL,),
            "laundry",
            [("Linge plat et tenues professionnelles – site {sector}", "Blanchisserie")],
        ),
        (
            "Gardiennage et sécurité des sites",
            None,
            "security",
            [("Surveillance et rondes – secteur {sector}", "Gardiennage, sécurité")],
        ),
        (
            "Déménagement et manutention des services",
            None,
            "moving",
            [("Déménagement et manutention – secteur {sector}", "Déménagement, manutention")],
        ),
        (
            "Remise en état des logements vacants",
            LANDLORD,
            "building",
            [
                ("Peinture et sols – secteur {sector}", "Peinture"),
                ("Plomberie, électricité – secteur {sector}", "Plomberie, chauffage, ventilation"),
            ],
        ),
        (
            "Entretien des berges et chemins de halage",
            (BuyerType.OTHER_PUBLIC, BuyerType.STATE),
            "green",
            [("Fauchage et débroussaillage – secteur {sector}", "Espaces verts, entretien paysager")],
        ),
        (
            "Entretien des dépendances vertes des routes départementales",
            (BuyerType.DEPARTMENT,),
            "green",
            [("Fauchage et élagage – secteur {sector}", "Espaces verts, entretien paysager")],
        ),
    ],
    MarketType.SUPPLIES: [
        (
            "Fourniture et livraison de repas en liaison froide",
            (*CITY, BuyerType.HOSPITAL),
            "supplies",
            [("Repas – secteur {sector}", "Restauration collective")],
        ),
        (
            "Fourniture de mobilier scolaire",
            (*CITY, BuyerType.DEPARTMENT, BuyerType.REGION),
            "supplies",
            [("Mobilier – lot {sector}", "Fournitures et livraison")],
        ),
        (
            "Fourniture de vêtements de travail et d'équipements de protection",
            None,
            "supplies",
            [("Vêtements et EPI – lot {sector}", "Fournitures et livraison")],
        ),
        (
            "Fourniture de produits d'entretien et d'hygiène",
            None,
            "supplies",
            [("Produits d'entretien – lot {sector}", "Fournitures et livraison")],
        ),
        (
            "Fourniture et pose de mobilier urbain",
            CITY,
            "supplies",
            [("Mobilier urbain – lot {sector}", "Serrurerie, métallerie")],
        ),
    ],
    MarketType.INTELLECTUAL: [
        (
            "Maîtrise d'œuvre pour la réhabilitation du groupe scolaire {facility}",
            CITY,
            "studies",
            [("Mission de maîtrise d'œuvre", "Études, ingénierie, maîtrise d'œuvre")],
        ),
        (
            "Assistance à maîtrise d'ouvrage pour le renouvellement urbain de {commune}",
            (*CITY, *LANDLORD),
            "studies",
            [("Assistance à maîtrise d'ouvrage", "Études, ingénierie, maîtrise d'œuvre")],
        ),
        (
            "Maintenance informatique et assistance aux utilisateurs",
            None,
            "it",
            [("Assistance aux utilisateurs – secteur {sector}", "Maintenance informatique")],
        ),
        (
            "Numérisation et archivage des dossiers",
            None,
            "it",
            [("Numérisation – lot {sector}", "Maintenance informatique")],
        ),
        (
            "Études de circulation et de stationnement de {commune}",
            CITY,
            "studies",
            [("Études", "Études, ingénierie, maîtrise d'œuvre")],
        ),
    ],
}

SECTORS = ["nord", "sud", "est", "ouest", "centre"]
# Sectors where reserved and insertion markets are common.
SOLIDARITY_SECTORS = {"cleaning", "green", "waste", "laundry"}
