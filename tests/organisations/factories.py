import factory
from stdnum.luhn import calc_check_digit

from organisations.models import BuyerType, InsertionType, Membership, Organisation, OrganisationKind, Role, User

TEST_PASSWORD = "mot-de-passe-de-test-2026"


def make_siret(n: int) -> str:
    """A valid SIRET (Luhn over SIREN + NIC) derived from a sequence number."""
    siren_body = f"{(n % 10**8):08d}"
    siren = siren_body + calc_check_digit(siren_body)
    nic_body = "0001"
    return siren + nic_body + calc_check_digit(siren + nic_body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.FACILITATION


class FacilitationStructureFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"PLIE {n}")
    kind = OrganisationKind.FACILITATION
    region = factory.SubFactory("tests.territories.factories.RegionFactory")


class BuyerFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Ville {n}")
    kind = OrganisationKind.BUYER
    buyer_type = BuyerType.MUNICIPALITY


class CompanyFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Entreprise {n}")
    kind = OrganisationKind.COMPANY
    siret = factory.Sequence(lambda n: make_siret(n + 1000))


class InsertionStructureFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Structure d'insertion {n}")
    kind = OrganisationKind.INSERTION
    insertion_type = InsertionType.ETTI
    siret = factory.Sequence(lambda n: make_siret(n + 500000))


class CoordinationFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Coordination {n}")
    kind = OrganisationKind.COORDINATION
    region = factory.SubFactory("tests.territories.factories.RegionFactory")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(FacilitationStructureFactory)
    role = Role.MEMBER
