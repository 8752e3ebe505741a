"""The editors' pages: dashboard, review queue, review page, and the POST endpoints behind their buttons.

Views are thin: reads come from `articles.selectors`, every change goes through
`articles.editorial`, which audits it and refuses stale saves. Each confirmed
change offers an Undo button, and its batch is kept in the session for `z`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from . import cluster_selectors, editorial, editorial_clusters, selectors
from .forms import BulkStatusForm, JoinStoriesForm, ReviewForm, ScoresForm, StatusForm, StoryDecisionForm, UndoForm
from .models import Article, AuditEntry

SOURCE = AuditEntry.Source.DASHBOARD
LAST_BATCH = "last_undo_batch"
TYPED_SCORES = "typed_scores"  # a queue row's refused scores, shown once in its inputs as the editor typed them
TYPED_MAX = 40
VIEW, CHANGE, PUBLISH = editorial.VIEW_PERMISSION, editorial.CHANGE_PERMISSION, editorial.PUBLISH_PERMISSION
PAGING_FIELDS = {"page", "size", "o"}  # queue parameters that page or order it rather than filter it


def viewer_page(view):
    """GET (and HEAD) pages: logged in, allowed to view articles."""
    return login_required(permission_required(VIEW, raise_exception=True)(require_safe(view)))


def editor_action(*perms):
    """POST-only changes: logged in (else the login page), allowed to change (else 403).
    CSRF is checked by the middleware."""

    def decorate(view):
        return login_required(permission_required((VIEW, CHANGE, *perms), raise_exception=True)(require_POST(view)))

    return decorate


def safe_next(request, default: str, *, field: str = "next") -> str:
    """Where to go after a POST: the page named in `field` (by default the page it came from), if it is one of ours."""
    target = request.POST.get(field, "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def confirm(request, result: editorial.ChangeResult) -> None:
    """A confirmation message; with an Undo button when something changed."""
    if result.batch:
        request.session[LAST_BATCH] = result.batch
        messages.success(request, result.message, extra_tags=f"undo:{result.batch}")
    else:
        messages.info(request, result.message or "Nothing to change.")


def refuse(request, error: Exception) -> None:
    if isinstance(error, editorial.EditConflict):
        messages.error(request, error.describe())
    else:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))


def apply_change(request, change) -> bool:
    """Run one editorial change (a callable) and confirm or refuse it in a message; True unless refused."""
    try:
        confirm(request, change())
    except (editorial.EditConflict, ValidationError) as error:
        refuse(request, error)
        return False
    except Article.DoesNotExist:
        raise Http404("No such article.") from None
    return True


def say_logged_out(sender, request, user, **kwargs) -> None:
    """Both log-outs (ours and the admin's) land on the login page: it says the log-out worked."""
    messages.info(request, "You are logged out.", fail_silently=True)


def get_article_or_404(pk: int) -> Article:
    try:
        return selectors.article_for_review(pk)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


# --- pages -----------------------------------------------------------------------------


@viewer_page
def dashboard(request):
    context = {
        "counts": selectors.dashboard_counts(),
        "today": selectors.start_of_today(),
        "import_runs": selectors.latest_import_runs(),
        "imported_per_day": selectors.imports_per_day(),
        "quality_bars": selectors.score_distribution("quality"),
        "heat_bars": selectors.score_distribution("heat"),
    }
    return render(request, "articles/dashboard.html", context)


@viewer_page
def queue(request):
    if any(value == "" for value in request.GET.values()):
        # Keep shared URLs short: an empty filter field means "no filter".
        params = request.GET.copy()
        for name in [name for name, value in request.GET.items() if value == ""]:
            params.pop(name)
        return HttpResponseRedirect(request.path + (f"?{params.urlencode()}" if params else ""))
    review_queue = selectors.review_queue(request.GET)
    form = review_queue.filterset.form
    valid = review_queue.filterset.is_valid()  # a bad value is shown on the form; the other filters still apply
    page = selectors.queue_page(
        review_queue.rows, ordering=review_queue.ordering, page=form.cleaned_data.get("page"),
        size=form.cleaned_data.get("size"), after=request.GET.get("after"), before=request.GET.get("before"),
    )
    if review_queue.filterset.folds_stories:
        cluster_selectors.with_story_members(page.items)
    context = {
        "filter": review_queue.filterset,
        "form": review_queue.filterset.form,
        "page": page,
        "can_change": request.user.has_perm(CHANGE),
        "can_publish": request.user.has_perms((CHANGE, PUBLISH)),
        "here": request.get_full_path(),
        "filters_active": sum(1 for name in form.fields if name not in PAGING_FIELDS and request.GET.get(name)),
        "suggestions": selectors.filter_suggestions(),
        "typed_scores": request.session.pop(TYPED_SCORES, None),
    }
    return render(request, "articles/queue.html", context, status=200 if valid else 400)


@viewer_page
def review(request, pk):
    article = get_article_or_404(pk)
    return render_review(request, article, ReviewForm.for_article(article))


def render_review(request, article: Article, form: ReviewForm, *, status: int = 200, conflict: bool = False):
    """The review page; a queue parameter it cannot read (for Previous/Next) is shown, and answers 400."""
    neighbours = selectors.neighbours_in_queue(article, request.GET)
    if neighbours.errors and status == 200:
        status = 400
    context = {
        "article": article,
        "form": form,
        "related": selectors.related_with_copies(article),
        "history": selectors.audit_history(article),
        "upstream": selectors.upstream_changes(article),
        "previous": neighbours.previous,
        "next": neighbours.next,
        "queue_errors": neighbours.errors,
        "topics": [link.topic for link in article.topic_links.all()],
        "story": cluster_selectors.story_of(article),
        "conflict": conflict,
    }
    return render(request, "articles/review.html", context, status=status)


# --- changes -------------------------------------------------------------------------------


@editor_action()
def edit(request, pk):
    """The review page's form. A conflict or an invalid value re-renders the page with the editor's input kept."""
    article = get_article_or_404(pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return render_review(request, article, form, status=400)
    changes = form.changes(article)
    if "status" in changes and not request.user.has_perm(PUBLISH):
        form.add_error("status", "You may not change the status.")
        return render_review(request, article, form, status=403)
    try:
        result = editorial.update_article(
            article.pk, user=request.user, source=SOURCE, changes=changes,
            expected_version=form.cleaned_data["version"],
        )
    except editorial.EditConflict as conflict:
        return render_conflict(request, conflict, form)
    except ValidationError as error:
        form.add_error(None, error)
        return render_review(request, article, form, status=400)
    confirm(request, result)
    return redirect(article.get_absolute_url() + query_suffix(request))


def render_conflict(request, conflict: editorial.EditConflict, form: ReviewForm):
    """Nothing was saved: show what the other editor changed, the current values, and keep the editor's input
    (now against the current version, so saving again is a deliberate choice)."""
    messages.error(request, conflict.describe())
    data = request.POST.copy()
    data["version"] = str(conflict.article.version)
    article = get_article_or_404(conflict.article.pk)
    return render_review(request, article, ReviewForm(data), status=409, conflict=True)


def query_suffix(request) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


def unversioned(form) -> HttpResponseBadRequest | None:
    """400 for a change that does not say which version of the article it was made on: saving it
    would skip the conflict check (a hand-made request, or a page from before versions)."""
    if form.is_valid() or not form.version_is_unreadable:
        return None
    return HttpResponseBadRequest(" ".join(form.errors["version"]), content_type="text/plain; charset=utf-8")


@editor_action(PUBLISH)
def change_status(request, pk, action):
    form = StatusForm(request.POST)
    change = {"publish": editorial.publish, "unpublish": editorial.unpublish, "reject": editorial.reject}[action]
    if refused := unversioned(form):
        return refused
    back = safe_next(request, reverse("articles:review", args=[pk]))
    if not form.is_valid():
        messages.error(request, "That change could not be read; reload the page and try again.")
        return redirect(back)
    if apply_change(request, lambda: change(
        pk, user=request.user, source=SOURCE, expected_version=form.cleaned_data["version"]
    )):
        # "Mark and next": the review page names the next item in its queue as `then`; a refused change stays.
        return redirect(safe_next(request, back, field="then"))
    return redirect(back)


@editor_action()
def scores(request, pk):
    form = ScoresForm(request.POST)
    if refused := unversioned(form):
        return refused
    if form.is_valid():
        apply_change(request, lambda: editorial.set_scores(
            pk, user=request.user, source=SOURCE, quality=form.cleaned_data["quality"],
            heat=form.cleaned_data["heat"], expected_version=form.cleaned_data["version"],
        ))
    else:
        problems = [error for errors in form.errors.values() for error in errors]
        messages.error(request, "Scores not saved. " + " ".join(problems))
        request.session[TYPED_SCORES] = {
            "id": pk, **{name: request.POST.get(name, "")[:TYPED_MAX] for name in ("quality", "heat")},
            "invalid": [name for name in ("quality", "heat") if name in form.errors],
        }
    return redirect(safe_next(request, reverse("articles:queue")))


@editor_action(PUBLISH)
def bulk(request):
    form = BulkStatusForm(request.POST)
    if form.is_valid():
        try:
            result = editorial.bulk_set_status(
                form.cleaned_data["ids"], status=form.status, user=request.user, source=SOURCE
            )
            confirm(request, result)
        except ValidationError as error:
            refuse(request, error)
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect(safe_next(request, reverse("articles:queue")))


@editor_action()
def undo(request):
    form = UndoForm(request.POST)
    if form.is_valid():
        batch = form.cleaned_data["batch"]
        try:
            result = editorial.undo(batch, user=request.user, source=SOURCE)
        except (editorial.EditConflict, ValidationError) as error:
            refuse(request, error)
        else:
            messages.success(request, result.message or "Nothing to undo.")
        if request.session.get(LAST_BATCH) == batch:
            del request.session[LAST_BATCH]
    else:
        messages.error(request, "Nothing to undo.")
    return redirect(safe_next(request, reverse("articles:queue")))



# --- stories ---------------------------------------------------------------------------------------


STORY_DECISIONS = {
    "publish": editorial_clusters.publish_and_reject_rest,
    "reject": editorial_clusters.reject_story,
}


@editor_action(PUBLISH)
def decide_story(request, pk, action):
    """"Publish this, reject the rest" or "Reject all", on the story as the review page showed it."""
    form = StoryDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(form.errors["seen"]), content_type="text/plain; charset=utf-8")
    decide = STORY_DECISIONS[action]
    apply_change(request, lambda: decide(pk, user=request.user, source=SOURCE, seen=form.cleaned_data["seen"]))
    return redirect(safe_next(request, reverse("articles:review", args=[pk])))


@editor_action()
def take_out_of_story(request, pk):
    form = StatusForm(request.POST)
    if refused := unversioned(form):
        return refused
    apply_change(request, lambda: editorial_clusters.take_out_of_story(
        pk, user=request.user, source=SOURCE, expected_version=form.cleaned_data["version"]
    ))
    return redirect(safe_next(request, reverse("articles:review", args=[pk])))


@editor_action()
def join_stories(request, pk):
    form = JoinStoriesForm(request.POST)
    if refused := unversioned(form):
        return refused
    if form.is_valid():
        apply_change(request, lambda: editorial_clusters.join_stories(
            pk, form.cleaned_data["other"], user=request.user, source=SOURCE,
            expected_version=form.cleaned_data["version"],
        ))
    else:
        messages.error(request, "Not joined. " + " ".join(form.errors["other"]))
    return redirect(safe_next(request, reverse("articles:review", args=[pk])))
