"""The forms of the "Synchronizing enumerations…" page: one line per CRM
enumeration (synchronize it?, into which local enumeration, Replace?), and the
re-sync schedule of an account."""

from __future__ import annotations

from django import forms

from .enumeration_mappings import conflicts
from .enumeration_models import validate_internal_name
from .enumeration_plan import Mapping

REPLACE_CHOICES = (("no", "No"), ("yes", "Yes"))


class MappingForm(forms.Form):
    crm = forms.CharField(widget=forms.HiddenInput, max_length=255)
    synchronize = forms.BooleanField(required=False, initial=True, label="Synchronize")
    enumeration = forms.CharField(max_length=100, label="Local enumeration", validators=[validate_internal_name])
    replace = forms.ChoiceField(choices=REPLACE_CHOICES, initial="no", label="Replace")

    def mapping(self) -> Mapping:
        data = self.cleaned_data
        return Mapping(data["crm"], data["enumeration"], data["replace"] == "yes")


class BaseMappingFormSet(forms.BaseFormSet):
    """Only the CRM enumerations listed may be sent; the chosen lines must not conflict."""

    def __init__(self, *args, known: set[str] = frozenset(), **kwargs):
        self.known = known
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        for form in self.forms:
            if form.cleaned_data.get("crm") not in self.known:
                raise forms.ValidationError(f"{form.cleaned_data.get('crm')} is not an enumeration of these schemas.")
        if not self.mappings():
            raise forms.ValidationError("Choose at least one enumeration to synchronize.")
        problems = conflicts(self.mappings())
        if problems:
            raise forms.ValidationError(problems)

    def mappings(self) -> list[Mapping]:
        return [form.mapping() for form in self.forms if form.cleaned_data.get("synchronize")]


MappingFormSet = forms.formset_factory(MappingForm, formset=BaseMappingFormSet, extra=0)


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Re-run this account's enumeration sync on a schedule")
    every_hours = forms.IntegerField(min_value=1, max_value=24 * 31, initial=24, label="Every (hours)")
