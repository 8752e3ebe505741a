"""The rule form: conditions and actions as an editor types them, checked; it never writes (the views save)."""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.core.exceptions import ValidationError

from .models import IngestRule
from .rules import CONDITION_FIELDS, MAX_LIST, parse_words
from .schema import INT32, MAX_NAME_LENGTH, MAX_TYPE_LENGTH

LIST_FIELDS = {"providers": MAX_NAME_LENGTH, "categories": MAX_NAME_LENGTH, "types": MAX_TYPE_LENGTH,
               "topics": MAX_NAME_LENGTH}
RANGES = (("quality_min", "quality_max", "Quality"), ("heat_min", "heat_max", "Heat"))
ACTION_FIELDS = ("status_action", "set_quality", "set_heat", "add_topic", "mark_for_attention")


PREVIEWED_FIELDS = CONDITION_FIELDS + ("words_in",)


def rule_values(rule: IngestRule) -> dict:
    return {name: getattr(rule, name) for name in PREVIEWED_FIELDS}


def conditions_key(values: dict) -> str:
    """A digest of a rule's conditions, carried by the form from its preview to its save."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


class LinesField(forms.CharField):
    """A list typed one item a line (names may hold commas), stored as a JSON list."""

    def __init__(self, *, item_length: int, **kwargs):
        self.item_length = item_length
        super().__init__(required=False, widget=forms.Textarea(attrs={"rows": 2}), **kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def clean(self, value) -> list[str]:
        text = super().clean(value) or ""
        items = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
        if len(items) > MAX_LIST:
            raise ValidationError(f"At most {MAX_LIST} lines.")
        if any(len(item) > self.item_length for item in items):
            raise ValidationError(f"Each line is at most {self.item_length} characters.")
        if any("\x00" in item for item in items):
            raise ValidationError("No NUL characters.")
        return items


def number(label: str, help_text: str = "") -> forms.IntegerField:
    message = f"{label} must be a whole number between {INT32[0]:,} and {INT32[1]:,}."
    return forms.IntegerField(
        label=label, required=False, min_value=INT32[0], max_value=INT32[1], help_text=help_text,
        error_messages={code: message for code in ("invalid", "min_value", "max_value")},
    )


class RuleForm(forms.ModelForm):
    providers = LinesField(item_length=MAX_NAME_LENGTH, label="Providers",
                           help_text="Provider domains, one a line (e.g. news.example); any one of them.")
    categories = LinesField(item_length=MAX_NAME_LENGTH, label="Categories", help_text="One a line; any one of them.")
    types = LinesField(item_length=MAX_TYPE_LENGTH, label="Types", help_text="One a line (article, video…); any one of them.")
    topics = LinesField(item_length=MAX_NAME_LENGTH, label="Topics", help_text="Topic names, one a line; any one of them.")
    words = forms.CharField(
        required=False, label="Words", max_length=1000, widget=forms.TextInput,
        help_text='Whole words or "quoted phrases", any one of them, any case. Not a regular expression.',
    )
    quality_min = number("Quality from")
    quality_max = number("Quality to")
    heat_min = number("Heat from")
    heat_max = number("Heat to")
    set_quality = number("Set quality to")
    set_heat = number("Set heat to", "-1 is not scored.")
    previewed = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = IngestRule
        fields = [
            "name", "providers", "categories", "types", "topics", "words", "words_in",
            "quality_min", "quality_max", "heat_min", "heat_max",
            "status_action", "set_quality", "set_heat", "add_topic", "mark_for_attention", "stop_here",
            "apply_to_changed",
        ]
        labels = {
            "words_in": "Look for the words in", "status_action": "Status", "add_topic": "Add the topic",
            "mark_for_attention": "Mark for an editor's attention", "stop_here": "Stop here",
            "apply_to_changed": "Also run on articles a re-import changed",
        }

    def clean_words(self) -> str:
        words = self.cleaned_data.get("words", "")
        parse_words(words)  # refuses unclosed quotes, control characters, too many or too long terms
        return words

    def clean_add_topic(self) -> str:
        topic = self.cleaned_data.get("add_topic", "").strip()
        if "\x00" in topic:
            raise ValidationError("No NUL characters.")
        return topic

    def clean(self):
        data = super().clean()
        for low, high, label in RANGES:
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, f"{label} to must not be below {label.lower()} from.")
        if not self.errors:
            if not any(data.get(name) not in (None, "", []) for name in CONDITION_FIELDS):
                raise ValidationError("Give at least one condition: a rule for every article is refused.",
                                      code="no_condition")
            if not any(data.get(name) not in (None, "", False) for name in ACTION_FIELDS):
                raise ValidationError("Give at least one action.", code="no_action")
        return data

    def conditions_key(self) -> str:
        """The key of the conditions as cleaned: the preview shown was of these, or the save must show it first."""
        return conditions_key({name: self.cleaned_data.get(name) for name in PREVIEWED_FIELDS})

    @property
    def was_previewed(self) -> bool:
        return self.cleaned_data.get("previewed") == self.conditions_key()


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class EnableForm(forms.Form):
    enabled = forms.TypedChoiceField(choices=[("1", "Enable"), ("0", "Disable")], coerce=lambda v: v == "1")


class UndoRuleForm(forms.Form):
    batch = forms.CharField(max_length=32)
