"""The notification settings form: one « recevoir » box per kind, and the frequency of a digest."""

from django import forms

from notifications.models import Frequency
from notifications.preferences import DIGESTS, label_of


class NotificationSettingsForm(forms.Form):
    def __init__(self, *args, settings_list, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = [setting.kind for setting in settings_list]
        for setting in settings_list:
            self.fields[f"{setting.kind}_enabled"] = forms.BooleanField(
                label="Recevoir ces courriels", required=False, initial=setting.enabled
            )
            if setting.kind in DIGESTS:
                self.fields[f"{setting.kind}_frequency"] = forms.ChoiceField(
                    label="Fréquence",
                    choices=Frequency.choices,
                    initial=setting.frequency or Frequency.WEEKLY,
                )

    def rows(self):
        """(kind's label, enabled field, frequency field or None) for the template."""
        return [
            (label_of(kind), self[f"{kind}_enabled"], self[f"{kind}_frequency"] if kind in DIGESTS else None)
            for kind in self.kinds
        ]

    def changes(self):
        """(kind, enabled, frequency) per kind, from the cleaned data."""
        return [
            (kind, self.cleaned_data[f"{kind}_enabled"], self.cleaned_data.get(f"{kind}_frequency", ""))
            for kind in self.kinds
        ]
