"""Input forms of the facilitator workspace: beneficiaries, criteria, placements, outcomes and the monthly grid.

Forms parse and present; the rules live in beneficiaries.services (the views call them with the cleaned data
and put the refusals back on the form with `add_service_errors`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse

from beneficiaries.choices import SENSITIVE_CRITERIA, Criterion, EvidenceType, Modality, OutcomeResult
from beneficiaries.models import Beneficiary
from markets.models import Lot
from organisations.models import Organisation, OrganisationKind
from territories.models import Commune, Qpv

DATE_HELP = "Format JJ/MM/AAAA."
MAX_COMMUNE_OPTIONS = 30


class FrenchDateInput(forms.DateInput):
    """A text input showing dates as JJ/MM/AAAA (parsed through DATE_INPUT_FORMATS of config/formats/fr)."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"placeholder": "JJ/MM/AAAA", "inputmode": "numeric", "autocomplete": "off", **(attrs or {})},
            format="%d/%m/%Y",
        )


def french_date_field(label: str, *, required: bool = True, help_text: str = DATE_HELP) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=FrenchDateInput(), help_text=help_text)


def add_service_errors(form: forms.Form, error: ValidationError):
    """Put a service refusal back on the form: on the field the service named (when the form shows it), at the top
    otherwise. Never by matching its French text."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in ValidationError(errors).messages:
                form.add_error(field if field in form.fields else None, message)
        return
    for message in error.messages:
        form.add_error(None, message)


# Beneficiaries ---------------------------------------------------------------------------------------------


def commune_label(commune: Commune) -> str:
    return f"{commune.name} ({commune.code}, {commune.department_id})"


def commune_choices(communes) -> list[tuple[str, str]]:
    return [("", "Aucune commune choisie")] + [(commune.pk, commune_label(commune)) for commune in communes]


def qpv_choices(commune_code: str | None) -> list[tuple[str, str]]:
    """Only the QPV of the chosen commune are offered."""
    if not commune_code:
        return [("", "Choisissez d'abord la commune")]
    qpvs = Qpv.objects.filter(communes=commune_code).order_by("name")
    return [("", "Ne réside pas dans un QPV")] + [(qpv.pk, f"{qpv.name} ({qpv.code})") for qpv in qpvs]


def search_communes(query: str, *, limit: int = MAX_COMMUNE_OPTIONS):
    """Communes whose name starts with (then contains) the query, or whose INSEE/postal-like code starts with it."""
    query = query.strip()
    if len(query) < 2:
        return []
    communes = Commune.objects.select_related("department")
    if query.isdigit():
        return list(communes.filter(code__startswith=query).order_by("code")[:limit])
    starting = list(communes.filter(name__istartswith=query).order_by("name", "code")[:limit])
    if len(starting) < limit:
        seen = {commune.pk for commune in starting}
        more = communes.filter(name__icontains=query).exclude(pk__in=seen).order_by("name", "code")
        starting += list(more[: limit - len(starting)])
    return starting


class BeneficiaryForm(forms.ModelForm):
    """Identity, residence (commune searched, QPV among the commune's), prescriber and qualification.

    The commune select never lists the 35,000 communes: only the chosen one, replaced by the results of the
    search input (htmx). The QPV select lists the QPV of the chosen commune.
    """

    commune_search = forms.CharField(
        label="Rechercher la commune de résidence",
        required=False,
        help_text="Tapez au moins deux lettres du nom ou les premiers chiffres du code INSEE.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    class Meta:
        model = Beneficiary
        fields = [
            "last_name",
            "first_name",
            "sex",
            "birth_date",
            "address",
            "commune_search",
            "commune",
            "qpv",
            "latitude",
            "longitude",
            "prescriber_type",
            "prescriber_name",
            "qualification_level",
            "job_seeker_since",
            "notes",
        ]
        widgets = {
            "birth_date": FrenchDateInput(),
            "job_seeker_since": FrenchDateInput(),
            "sex": forms.Select,
        }
        help_texts = {
            "birth_date": DATE_HELP,
            "job_seeker_since": DATE_HELP,
            "qpv": "Seuls les quartiers prioritaires de la commune choisie sont proposés. Avec les coordonnées de "
            "l'adresse, le quartier est calculé d'après les contours officiels et remplace ce choix.",
            "latitude": "Facultatif. En degrés décimaux, par exemple 47,2972.",
            "longitude": "Facultatif. En degrés décimaux, par exemple 5,0079.",
        }
        localized_fields = ["latitude", "longitude"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = Commune.objects.all()
        self.fields["qpv"].queryset = Qpv.objects.all()
        self.fields["birth_date"].input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
        self.fields["job_seeker_since"].input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
        for name in ("sex", "prescriber_type", "qualification_level"):
            field = self.fields[name]
            field.choices = [("", "Choisir" if field.required else "Non renseigné"), *list(field.choices)[1:]]
        commune_code = self._chosen_commune_code()
        chosen = Commune.objects.filter(pk=commune_code).select_related("department") if commune_code else []
        # Rendering only: validation still uses the full querysets above.
        self.fields["commune"].widget.choices = commune_choices(chosen)
        self.fields["qpv"].widget.choices = qpv_choices(commune_code)
        self.fields["commune"].widget.attrs.update(
            {
                "hx-get": reverse("beneficiaries:qpv_options"),
                "hx-trigger": "change",
                "hx-target": "#id_qpv",
                "hx-swap": "innerHTML",
            }
        )
        self.fields["commune_search"].widget.attrs.update(
            {
                "aria-controls": "id_commune",
                "hx-get": reverse("beneficiaries:commune_options"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": "#id_commune",
                "hx-swap": "innerHTML",
            }
        )

    def _chosen_commune_code(self) -> str | None:
        if self.is_bound:
            return self.data.get(self.add_prefix("commune")) or None
        if self.instance and self.instance.commune_id:
            return self.instance.commune_id
        return self.initial.get("commune") or None

    def clean(self):
        data = super().clean()
        commune = data.get("commune")
        search = data.get("commune_search", "")
        if commune is None and search and "commune" not in self.errors:
            # Without JavaScript: the search runs on submit and the select offers its results.
            found = search_communes(search)
            self.fields["commune"].widget.choices = commune_choices(found)
            self.add_error(
                "commune",
                "Choisissez la commune parmi les résultats de la recherche."
                if found
                else "Aucune commune ne correspond à cette recherche.",
            )
        # The QPV must lie in the commune: Beneficiary.clean, run by the ModelForm and by every service call.
        return data


class CriterionForm(forms.Form):
    criterion = forms.ChoiceField(label="Critère d'éligibilité")
    validated_on = french_date_field("Validé le")
    evidence_type = forms.ChoiceField(label="Type de justificatif", choices=[("", "Choisir"), *EvidenceType.choices])
    derogation_reason = forms.CharField(
        label="Motif de la dérogation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour une dérogation : l'avis motivé du prescripteur, sans donnée médicale.",
    )

    def __init__(self, *args, show_sensitive: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (code, label) for code, label in Criterion.choices if show_sensitive or code not in SENSITIVE_CRITERIA
        ]
        self.fields["criterion"].choices = [("", "Choisir"), *choices]


# Searchable selects ----------------------------------------------------------------------------------------
#
# A search input (htmx) above a plain select: typing asks the server for the matching options
# (beneficiaries.views_placements.placement_choices, markets' and participants' commune search) and replaces
# the options of the select, so the keyboard and screen readers keep a native select. Without JavaScript the
# select lists every choice (or, for communes, the search runs on submit).

MAX_SEARCH_OPTIONS = 30


def person_label(person: Beneficiary) -> str:
    """Same-name people stay distinguishable: name, birth year and participant number."""
    born = f"né·e en {person.birth_date.year}" if person.birth_date else "année de naissance inconnue"
    return f"{person} – {born} – n° {person.pk}"


def lot_label(lot: Lot) -> str:
    return f"{lot.market.reference} – lot {lot.number} : {lot.title}"


def employer_label(org: Organisation) -> str:
    kind = org.get_insertion_type_display() or org.get_kind_display()
    return f"{org.name} – SIRET {org.siret or 'non renseigné'} ({kind})"


def _ranked(queryset, starting: Q, containing: Q, order: tuple[str, ...], limit: int) -> list:
    """Those matching `starting` first, then those matching `containing` only, `limit` at most."""
    first = list(queryset.filter(starting).order_by(*order)[:limit])
    if len(first) < limit:
        more = queryset.filter(containing).exclude(pk__in=[obj.pk for obj in first]).order_by(*order)
        first += list(more[: limit - len(first)])
    return first


def search_people(queryset, query: str, *, limit: int = MAX_SEARCH_OPTIONS) -> list:
    """People of `queryset` by participant number ("123", "n° 123") or by words of their names (each word
    must match; names starting with the first word come first)."""
    words = query.replace("n°", " ").replace("N°", " ").split()
    if not words:
        return []
    if len(words) == 1 and words[0].isdigit():
        return list(queryset.filter(pk=int(words[0])))
    containing = Q()
    for word in words:
        containing &= Q(last_name__icontains=word) | Q(first_name__icontains=word)
    starting = containing & (Q(last_name__istartswith=words[0]) | Q(first_name__istartswith=words[0]))
    return _ranked(queryset, starting, containing, ("last_name", "first_name", "birth_date", "pk"), limit)


def search_lots(queryset, query: str, *, limit: int = MAX_SEARCH_OPTIONS) -> list:
    """Lots by market reference (first), market title or lot title; a number alone also matches lot numbers."""
    query = query.strip()
    if not query:
        return []
    queryset = queryset.select_related("market")
    containing = Q(market__reference__icontains=query) | Q(market__title__icontains=query) | Q(title__icontains=query)
    if query.isdigit():
        containing |= Q(number=int(query))
    starting = Q(market__reference__istartswith=query) | Q(title__istartswith=query)
    return _ranked(queryset, starting, containing, ("market__reference", "number"), limit)


def search_employers(queryset, query: str, *, limit: int = MAX_SEARCH_OPTIONS) -> list:
    """Employers by name (starting first) or by the first digits of their SIRET."""
    query = query.strip()
    if not query:
        return []
    if query.replace(" ", "").isdigit():
        digits = query.replace(" ", "")
        return list(queryset.filter(siret__startswith=digits).order_by("siret")[:limit])
    return _ranked(queryset, Q(name__istartswith=query), Q(name__icontains=query), ("name", "siret"), limit)


def add_search(form: forms.Form, name: str, *, url: str, label: str, help_text: str) -> None:
    """Put a search input named `<name>_search` just before the select `name`; its results replace the options.
    The search endpoint reads the GET parameter ending in `_search` and answers with `<name>-search-status`."""
    select_id = f"id_{form.add_prefix(name)}"
    form.fields[f"{name}_search"] = forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "aria-controls": select_id,
                "hx-get": url,
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": f"#{select_id}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        ),
    )
    # Read by includes/form_field.html (the live status, the classes placing the pair on one row).
    form.fields[f"{name}_search"].search_status_id = f"{name}-search-status"
    form.fields[name].searched = True
    order = list(form.fields)
    order.remove(f"{name}_search")
    order.insert(order.index(name), f"{name}_search")
    form.order_fields(order)


def search_query(params, field: str) -> str:
    """The text of the search input of `field`, whatever the prefix of its form (`lot-contractor_search`)."""
    key = f"{field}_search"
    if key in params:
        return params[key]
    return next((value for name, value in params.items() if name.endswith(f"-{key}")), "")


def show_only_chosen(form: forms.Form, name: str, *, placeholder: str) -> None:
    """Render the select `name` with its chosen value only (a long list is searched, never sent whole); the
    field still accepts any value of its queryset."""
    field = form.fields[name]
    value = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    value = getattr(value, "pk", value)
    chosen = list(field.queryset.filter(pk=value)) if str(value or "").isdigit() else []
    field.widget.choices = [("", placeholder)] + [(obj.pk, field.label_from_instance(obj)) for obj in chosen]


def resolve_search(form: forms.Form, name: str, search, *, what: str) -> None:
    """Without JavaScript the search input is posted alone: one match is taken, several are offered in the select
    with a message, none is said. `search(query)` returns the matches; `what` names them ("la commune")."""
    data = form.cleaned_data
    query = data.get(f"{name}_search", "")
    errors = form.errors.as_data().get(name, [])
    only_missing = bool(errors) and all(error.code == "required" for error in errors)
    if data.get(name) is not None or not query.strip() or (errors and not only_missing):
        return
    found = search(query)
    if only_missing:
        del form.errors[name]
    if len(found) == 1:
        data[name] = found[0]
        return
    field = form.fields[name]
    field.widget.choices = [("", "Choisir")] + [(obj.pk, field.label_from_instance(obj)) for obj in found]
    form.add_error(
        name,
        f"Choisissez {what} parmi les résultats de la recherche."
        if found
        else f"Aucun résultat pour cette recherche : vérifiez l'orthographe ou le numéro ({what}).",
    )


def drop_searches(cleaned_data: dict) -> dict:
    """The cleaned data without the search inputs, which are no field of the services."""
    for name in [name for name in cleaned_data if name.endswith("_search")]:
        del cleaned_data[name]
    return cleaned_data


# Placements ----------------------------------------------------------------------------------------------


class PlacementForm(forms.Form):
    beneficiary = forms.ModelChoiceField(label="Participant·e", queryset=Beneficiary.objects.none())
    lot = forms.ModelChoiceField(
        label="Lot", queryset=Lot.objects.none(), help_text="Seuls les lots portant une clause sociale sont proposés."
    )
    employer = forms.ModelChoiceField(
        label="Employeur",
        queryset=Organisation.objects.none(),
        help_text="L'entreprise titulaire ou la structure d'insertion qui emploie la personne.",
    )
    modality = forms.ChoiceField(label="Modalité", choices=[("", "Choisir"), *Modality.choices])
    start_date = french_date_field("Début du contrat")
    end_date = french_date_field("Fin du contrat")
    job_title = forms.CharField(label="Poste occupé", max_length=200, required=False)

    def __init__(self, *args, beneficiaries, lots, employers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].queryset = beneficiaries.order_by("last_name", "first_name", "birth_date", "pk")
        self.fields["beneficiary"].label_from_instance = person_label
        self.fields["lot"].queryset = lots.select_related("market").order_by("market__reference", "number")
        self.fields["lot"].label_from_instance = lot_label
        self.fields["employer"].queryset = employers.filter(
            kind__in=[OrganisationKind.COMPANY, OrganisationKind.INSERTION]
        ).order_by("name", "siret")
        self.fields["employer"].label_from_instance = employer_label
        searches = {
            "beneficiary": ("Rechercher le ou la participant·e", "Nom, prénom ou n° de participant·e."),
            "lot": ("Rechercher le lot", "Référence du marché, objet ou numéro du lot."),
            "employer": ("Rechercher l'employeur", "Nom ou premiers chiffres du SIRET."),
        }
        for name, (label, help_text) in searches.items():
            url = reverse("placements:choices", kwargs={"kind": name})
            add_search(self, name, url=url, label=label, help_text=help_text + " Puis choisissez dans la liste.")
        # Hundreds of people: the select shows the chosen one, the search fills it (tests: 705 people).
        self.fields["beneficiary"].help_text = "Recherchez la personne ci-dessus."
        show_only_chosen(self, "beneficiary", placeholder="Aucune personne choisie : recherchez-la")

    def limit_people(self, queryset) -> None:
        """Narrow the people offered (the edit form: the same structure only), keeping the rendering short."""
        self.fields["beneficiary"].queryset = queryset
        show_only_chosen(self, "beneficiary", placeholder="Aucune personne choisie : recherchez-la")

    def clean(self):
        data = super().clean()
        if "beneficiary" in self.fields:
            people = self.fields["beneficiary"].queryset
            resolve_search(self, "beneficiary", lambda query: search_people(people, query), what="la personne")
        return drop_searches(data)


class OutcomeForm(forms.Form):
    result = forms.ChoiceField(label="Situation", choices=[("", "Choisir"), *OutcomeResult.choices])
    observed_on = french_date_field("Constatée le")
    notes = forms.CharField(label="Observations", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, with_notes: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_notes:
            # Free text about the person: only their structure reads and writes it (record_outcome keeps it).
            del self.fields["notes"]


# Monthly hours grid ----------------------------------------------------------------------------------------


class HoursRowForm(forms.Form):
    """One row of the grid. `show_hidden_initial` lets the view send only the rows the user changed, so an
    untouched row never overwrites (or conflicts with) someone else's concurrent edit."""

    hours = forms.DecimalField(label="Heures d'insertion", required=False, localize=True, show_hidden_initial=True)
    training_hours = forms.DecimalField(
        label="Heures de formation", required=False, localize=True, show_hidden_initial=True
    )
    invoiced_amount = forms.DecimalField(
        label="Montant facturé HT (€)", required=False, localize=True, show_hidden_initial=True
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, with_amount: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("hours", "training_hours", "invoiced_amount"):
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "autocomplete": "off"})
            self.fields[name].widget.is_localized = True
        if not with_amount:
            del self.fields["invoiced_amount"]

    def inputs_changed(self) -> bool:
        """Did the user change a value on this row (compared with what the page showed them)?"""
        return any(name != "version" for name in self.changed_data)

    def clean(self):
        data = super().clean()
        amount = data.get("invoiced_amount")
        if data.get("hours") is None and amount is None and not self.errors and self.inputs_changed():
            self.add_error("hours", "Indiquez les heures du mois (0 si aucune activité).")
        return data


# Duplicates -----------------------------------------------------------------------------------------------------


class MergeForm(forms.Form):
    """Merge two records of one person (beneficiaries.duplicates.merge_people): which one to keep, which of two
    identical criteria to keep, and an explicit confirmation."""

    avec = forms.IntegerField(
        label="N° de l'autre fiche",
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"required": "Choisissez la fiche à fusionner avec celle-ci.", "invalid": "N° invalide."},
    )
    keep = forms.ChoiceField(
        label="Fiche à conserver",
        choices=[("this", "Cette fiche"), ("other", "L'autre fiche")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez la fiche à conserver."},
    )
    from_duplicate = forms.MultipleChoiceField(
        label="Critères en double : garder celui de la fiche supprimée plutôt que celui de la fiche conservée",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    confirm = forms.BooleanField(
        label="Je confirme la fusion : tout ce que porte la fiche non conservée lui sera rattaché, puis elle sera "
        "supprimée. Cette opération ne peut pas être annulée.",
        error_messages={"required": "Cochez la case pour confirmer la fusion."},
    )

    def __init__(self, *args, conflicts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_duplicate"].choices = [(code, label) for code, label, *_ in conflicts]
        if not conflicts:
            self.fields["from_duplicate"].widget = forms.MultipleHiddenInput()
