"""The ingest rules screens: the ordered list, the form with its preview, enabling, reordering, deleting,
applying a rule to the articles awaiting review, and its history with an undo per run.

Editors with `articles.manage_rules` change rules; anyone who may view rules (Viewers) sees every page
read-only, and any change they post is refused (403). Matching lives in `rules`, writing in `rule_actions`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import editorial, rule_actions, rules
from .models import AuditEntry, IngestRule
from .rule_forms import EnableForm, MoveForm, RuleForm, UndoRuleForm, conditions_key, rule_values

VIEW_RULES = "articles.view_ingestrule"
MANAGE = rule_actions.MANAGE_PERMISSION
SOURCE = AuditEntry.Source.DASHBOARD


def rules_page(view):
    """GET pages anyone who may view rules reads; a POST to them needs `manage_rules` (else 403)."""

    def checked(request, *args, **kwargs):
        if request.method == "POST" and not request.user.has_perm(MANAGE):
            raise PermissionDenied("You may not change ingest rules.")
        return view(request, *args, **kwargs)

    return login_required(permission_required(VIEW_RULES, raise_exception=True)(
        require_http_methods(["GET", "HEAD", "POST"])(checked)))


def rules_action(view):
    """POST-only changes: `manage_rules` or 403. CSRF is checked by the middleware."""
    return login_required(permission_required((VIEW_RULES, MANAGE), raise_exception=True)(require_POST(view)))


def get_rule_or_404(pk: int) -> IngestRule:
    try:
        return IngestRule.objects.get(pk=pk)
    except IngestRule.DoesNotExist:
        raise Http404("No such rule.") from None


def detail_url(rule: IngestRule) -> str:
    return reverse("articles:rule", args=[rule.pk])


@rules_page
def rule_list(request):
    ordered = list(rules.ordered_rules())
    context = {
        "rules": [(rule, rules.describe_conditions(rule), rule_actions.describe_actions(rule)) for rule in ordered],
        "can_manage": request.user.has_perm(MANAGE),
    }
    return render(request, "articles/rules/list.html", context)


@rules_page
def rule_new(request):
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied("You may not add ingest rules.")
    return rule_form_page(request, IngestRule(created_by=request.user))


@rules_page
def rule_detail(request, pk):
    return rule_form_page(request, get_rule_or_404(pk))


def rule_form_page(request, rule: IngestRule):
    """The form (read-only for viewers) and its preview. Conditions nobody has previewed are not saved: the
    preview shows first, and the editor saves again once they have seen what the rule matches."""
    if not request.user.has_perm(MANAGE):
        return render_rule(request, rule, None)
    if request.method != "POST":
        initial = {"previewed": conditions_key(rule_values(rule))} if rule.pk else {}
        return render_rule(request, rule, RuleForm(instance=rule, initial=initial), preview=rule.pk is not None)
    form = RuleForm(request.POST, instance=rule)
    if not form.is_valid():
        return render_rule(request, form.instance, form, status=400)
    if form.was_previewed and "preview" not in request.POST:
        return save_rule(request, form, enable="enable" in request.POST)
    if "preview" not in request.POST:
        messages.info(request, "Here is what the rule matches now: save again to confirm.")
    data = request.POST.copy()
    data["previewed"] = form.conditions_key()
    return render_rule(request, form.instance, RuleForm(data, instance=form.instance))


def render_rule(request, rule: IngestRule, form, *, status: int = 200, preview: bool = True):
    context = {"rule": rule, "form": form, "can_manage": request.user.has_perm(MANAGE),
               "conditions": rules.describe_conditions(rule), "actions": rule_actions.describe_actions(rule)}
    if preview and status == 200:
        context["preview_count"], context["preview"] = rules.preview(rule)
    if rule.pk is not None:
        if context["can_manage"] and status == 200:
            context["awaiting_count"] = rules.preview(rule, awaiting_only=True)[0]
        context["history"] = rule_actions.rule_history(rule)
    return render(request, "articles/rules/form.html", context, status=status)


def save_rule(request, form: RuleForm, *, enable: bool):
    with transaction.atomic():
        rule = form.save(commit=False)
        if rule.pk is None:
            rule.position = (IngestRule.objects.aggregate(last=Max("position"))["last"] or 0) + 1
        if enable:
            rule.enabled = True
        rule.save()
    state = "enabled" if rule.enabled else "saved, not enabled yet"
    messages.success(request, f"Rule “{rule.name}” {state}.")
    return redirect(detail_url(rule))


def confirmable(request, rule: IngestRule) -> IngestRule:
    """A confirmation page (enable, delete) asks only those who may then confirm: others get 403."""
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied("You may not change ingest rules.")
    return rule


@rules_page
def rule_enable(request, pk):
    """GET: what enabling the rule means (its preview), with the button; POST: enable or disable it."""
    rule = get_rule_or_404(pk)
    if request.method != "POST":
        count, first = rules.preview(confirmable(request, rule))
        return render(request, "articles/rules/enable.html", {
            "rule": rule, "preview_count": count, "preview": first,
            "conditions": rules.describe_conditions(rule), "actions": rule_actions.describe_actions(rule),
        })
    form = EnableForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether to enable or disable the rule.")
        return redirect("articles:rules")
    IngestRule.objects.filter(pk=rule.pk).update(enabled=form.cleaned_data["enabled"])
    verb = "enabled: it runs on the next import" if form.cleaned_data["enabled"] else "disabled"
    messages.success(request, f"Rule “{rule.name}” {verb}.")
    return redirect("articles:rules")


@rules_action
def rule_move(request, pk):
    form = MoveForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            ordered = list(rules.ordered_rules().select_for_update())
            index = next((i for i, rule in enumerate(ordered) if rule.pk == pk), None)
            if index is None:
                raise Http404("No such rule.")
            other = index - 1 if form.cleaned_data["direction"] == "up" else index + 1
            if 0 <= other < len(ordered):
                ordered[index], ordered[other] = ordered[other], ordered[index]
            for position, rule in enumerate(ordered, start=1):
                rule.position = position
            IngestRule.objects.bulk_update(ordered, ["position"])
    return redirect(reverse("articles:rules") + f"#rule-{pk}")


@rules_page
def rule_delete(request, pk):
    rule = get_rule_or_404(pk)
    if request.method != "POST":
        return render(request, "articles/rules/delete.html", {"rule": confirmable(request, rule)})
    rule.delete()
    messages.success(request, f"Rule “{rule.name}” deleted. What it did stays in the articles' history.")
    return redirect("articles:rules")


@rules_action
def rule_apply(request, pk):
    rule = get_rule_or_404(pk)
    result = rule_actions.apply_to_awaiting(rule, user=request.user)
    confirm_with_undo(request, result, rule)
    return redirect(detail_url(rule))


@rules_action
def rule_undo(request, pk):
    rule = get_rule_or_404(pk)
    form = UndoRuleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing to undo.")
        return redirect(detail_url(rule))
    try:
        result = rule_actions.undo_batch(form.cleaned_data["batch"], rule=rule, user=request.user, source=SOURCE)
    except (editorial.EditConflict, ValidationError) as error:
        messages.error(request, error.describe() if isinstance(error, editorial.EditConflict) else " ".join(error.messages))
    else:
        messages.success(request, result.message) if result.count else messages.info(request, result.message)
    return redirect(detail_url(rule))


def confirm_with_undo(request, result: editorial.ChangeResult, rule: IngestRule) -> None:
    if result.count:
        messages.success(request, result.message + " Its history below can undo it.")
    else:
        messages.info(request, result.message)
