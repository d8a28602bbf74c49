import factory

from territories.models import Commune, Department, Epci, Qpv, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "27"
    name = "Bourgogne-Franche-Comté"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "21"
    name = "Côte-d'Or"
    region = factory.SubFactory(RegionFactory)


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Epci
        django_get_or_create = ("code",)

    code = "242100410"
    name = "Dijon Métropole"


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("code",)

    code = "21231"
    name = "Dijon"
    department = factory.SubFactory(DepartmentFactory)
    epci = factory.SubFactory(EpciFactory)


class QpvFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qpv
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"QN0210{n:02d}M")
    name = factory.Sequence(lambda n: f"Quartier {n}")

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if not create:
            return
        self.communes.add(*(extracted or [CommuneFactory()]))
