"""Forms of the editorial views. They only parse and validate input; `articles.editorial` does the writing."""

from django import forms
from django.core.exceptions import ValidationError

from . import editorial
from .models import Article
from .schema import EDITABLE_FIELDS, INT32, MAX_ID, NOT_SCORED, UNSCORED_HEAT, is_unscored

STATUS_ACTIONS = {
    "publish": Article.Status.PUBLISHED,
    "unpublish": Article.Status.AWAITING_REVIEW,
    "reject": Article.Status.REJECTED,
}
MAX_BULK = 500


class ScoreField(forms.IntegerField):
    """A quality or heat as the column holds it, with one plain error for anything else.

    Heat may be left empty: not scored (stored as -1), which is also how an unscored heat is shown (empty, with
    "not scored" as its placeholder). Quality has no such value: it is required, in the column's whole range.
    """

    def __init__(self, name: str):
        self.unscored = UNSCORED_HEAT if name == "heat" else None
        low = INT32[0] if self.unscored is None else 0
        message = f"{name.capitalize()} must be a whole number between {low:,} and {INT32[1]:,}"
        message += ", or empty for not scored." if self.unscored is not None else "."
        attrs = {"placeholder": NOT_SCORED} if self.unscored is not None else {}
        super().__init__(
            label=name.capitalize(), required=self.unscored is None, widget=forms.NumberInput(attrs=attrs),
            min_value=low if self.unscored is None else self.unscored, max_value=INT32[1],
            error_messages={code: message for code in ("required", "invalid", "min_value", "max_value")},
        )
        self.name = name

    def prepare_value(self, value):
        return None if is_unscored(self.name, value) else value

    def clean(self, value):
        number = super().clean(value)
        return self.unscored if number is None else number


class ExcerptField(forms.CharField):
    """An excerpt as typed. Browsers submit textarea line breaks as CRLF: an untouched excerpt is no edit."""

    def __init__(self, **kwargs):
        super().__init__(strip=False, **kwargs)

    def to_python(self, value) -> str:
        return super().to_python(value).replace("\r\n", "\n")

    def has_changed(self, initial, data) -> bool:
        return (initial or "").replace("\r\n", "\n") != self.to_python(data)


class VersionedForm(forms.Form):
    """Carries the version of the article the editor saw, so a stale save is refused instead of overwriting.

    Required: a change without it could not be checked against what the editor saw, so it is refused.
    """

    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=INT32[1],
        error_messages={"required": "The version of the article you saw is missing; reload the page."},
    )

    @property
    def version_is_unreadable(self) -> bool:
        return "version" in self.errors


class ReviewForm(VersionedForm):
    excerpt = ExcerptField(widget=forms.Textarea(attrs={"rows": 8, "data-shortcut": "e"}), required=False)
    quality = ScoreField("quality")
    heat = ScoreField("heat")
    status = forms.ChoiceField(choices=Article.Status.choices)

    field_order = ["excerpt", "quality", "heat", "status", "version"]

    @classmethod
    def for_article(cls, article: Article) -> "ReviewForm":
        initial = {name: getattr(article, name) for name in EDITABLE_FIELDS}
        return cls(initial={**initial, "version": article.version})

    def changes(self, article: Article) -> dict:
        """The fields whose submitted value differs from the article's current one (an empty heat is no change
        to an article whose heat is not scored, whatever negative value the source gave it)."""
        changes = {}
        for name in EDITABLE_FIELDS:
            value, current = self.cleaned_data[name], getattr(article, name)
            if value != current and not (is_unscored(name, value) and is_unscored(name, current)):
                changes[name] = value
        return changes


class ArticleAdminForm(ReviewForm, forms.ModelForm):
    """ReviewForm on the admin's change page, which needs a ModelForm.

    Each editable field also posts the value the editor saw
    (show_hidden_initial), so a change is what the editor typed, not any
    difference from the database: saving an untouched form someone else
    changed meanwhile changes nothing and is no conflict. A field the admin
    shows read-only (status, without the publish permission) leaves the form.
    """

    class Meta:
        model = Article
        fields = [*EDITABLE_FIELDS, "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        editable = set(self._meta.fields or ()) - set(self._meta.exclude or ())
        for name in EDITABLE_FIELDS:
            if name in editable and name in self.fields:
                self.fields[name].show_hidden_initial = True
            else:
                self.fields.pop(name, None)

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("version")
        if seen is not None and self.instance.pk and self.edits():
            try:
                editorial.check_version(self.instance, expected_version=seen)
            except editorial.EditConflict as conflict:
                raise ValidationError(conflict.describe(), code="conflict") from conflict
        return cleaned

    def edits(self) -> dict:
        """What the editor changed: the fields whose posted value differs from the one the editor saw."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in EDITABLE_FIELDS and name in self.cleaned_data  # an invalid value is an error, not an edit
        }


class ScoresForm(VersionedForm):
    quality = ScoreField("quality")
    heat = ScoreField("heat")


class StatusForm(VersionedForm):
    pass


class IdListField(forms.Field):
    """Article ids from checkboxes (`ids=1&ids=2`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise ValidationError("Select articles by their ids.", code="invalid") from None
        if ids and not (1 <= ids[0] and ids[-1] <= MAX_ID):
            raise ValidationError("Select articles by their ids.", code="invalid")
        if len(ids) > MAX_BULK:
            raise ValidationError(f"Select at most {MAX_BULK} articles at a time.", code="too_many")
        return ids


class BulkStatusForm(forms.Form):
    action = forms.ChoiceField(choices=[(name, name.title()) for name in STATUS_ACTIONS])
    ids = IdListField(error_messages={"required": "Select at least one article."})

    @property
    def status(self) -> str:
        return STATUS_ACTIONS[self.cleaned_data["action"]]


class UndoForm(forms.Form):
    batch = forms.CharField(max_length=32)


class SeenMembersField(forms.Field):
    """The story as the editor saw it: `id:version` of each member (`seen=12:3&seen=15:1`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> dict[int, int]:
        seen = {}
        for item in value or ():
            article_id, _, version = str(item).partition(":")
            try:
                article_id, version = int(article_id), int(version)
            except ValueError:
                raise ValidationError("The story's items could not be read; reload the page.", code="invalid") from None
            if not (1 <= article_id <= MAX_ID and 1 <= version <= INT32[1]):
                raise ValidationError("The story's items could not be read; reload the page.", code="invalid")
            seen[article_id] = version
        if len(seen) > MAX_BULK:
            raise ValidationError(f"A story of more than {MAX_BULK} items is decided in the queue.", code="too_many")
        return seen


class StoryDecisionForm(forms.Form):
    """A decision on a whole story ("publish this, reject the rest", "reject all") as the review page showed it."""

    seen = SeenMembersField(error_messages={"required": "The story's items are missing; reload the page."})


class JoinStoriesForm(VersionedForm):
    other = forms.IntegerField(
        label="Article #", min_value=1, max_value=MAX_ID,
        error_messages={
            "required": "Give the number of an article of the other story.",
            "invalid": "Give the number of an article of the other story.",
            "min_value": "There is no such article.", "max_value": "There is no such article.",
        },
    )
