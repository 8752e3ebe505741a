"""Imported text is data, never markup: payloads in every text and URL field render inert on every page.

The article is built straight through the ORM, bypassing the importer's validation, as if a bad file
(or a bug) had slipped through. A page is safe when its parsed HTML has no script element but our own
static file, no event-handler attribute, and no link, image or frame pointing at a `javascript:` URL.
"""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from articles.models import Article, ArticleImage, ArticleTopic, AuditEntry, ImportRun, Provider, RelatedArticle, Topic

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_URL = "javascript:alert(1)"
ALL = f"{SCRIPT} {IMG} {JS_URL}"
# The same payload hidden behind HTML entities: decoding them for display must not revive it.
ENCODED = "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster"}


class LivePayloadFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in URL_ATTRIBUTES and value.lower().replace(" ", "").startswith(("javascript:", "data:text/html")):
                self.problems.append(f'<{tag} {name}="{value}">')
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
        if tag == "script":
            attributes = dict(attrs)
            data_only = attributes.get("type") == "application/json"  # json_script: escaped data, never run
            source = attributes.get("src") or ""
            if not data_only and not source.startswith(("/static/", "/admin/jsi18n/")):
                self.problems.append(f"<script src={source!r}>")
            self.in_script = not data_only
        if tag == "iframe":
            attributes = dict(attrs)
            if not (attributes.get("src") or "").startswith(("https://www.youtube", "https://player.vimeo.com")):
                self.problems.append(f"<iframe src={attributes.get('src')!r}>")
            if "sandbox" not in attributes:
                self.problems.append("<iframe> without sandbox")
        if tag in ("object", "embed", "base"):
            self.problems.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:40]!r}")


def live_payloads(html: str) -> list[str]:
    finder = LivePayloadFinder()
    finder.feed(html)
    finder.close()
    raw = [marker for marker in (SCRIPT, "onerror=alert(1)>", f'href="{JS_URL}"', f"href='{JS_URL}'") if marker in html]
    return finder.problems + [f"raw text {marker!r}" for marker in raw]


@pytest.fixture
def hostile_article(db) -> Article:
    provider = Provider.objects.create(
        key="evil.example", name=ALL, domain=ALL,
        mapping={"name": ALL, "domain": ALL, "images": [{"url": JS_URL}, {"url": IMG}]},
    )
    article = Article.objects.create(
        source_key="hostile", source_file=f"/data/{SCRIPT}.md", content_hash="0" * 64,
        title=ALL, excerpt=f"{ALL} {ENCODED}", category=ALL, type=f"{SCRIPT}{IMG}",
        original_url=JS_URL, web_url=JS_URL, amp_web_url=f"{JS_URL}//{SCRIPT}", cdn_amp_web_url=IMG,
        featured_content=f'<iframe src="{JS_URL}"></iframe>{SCRIPT}{IMG}',
        secured=ALL, extra_yaml=f"unknown: '{ALL}'\n{SCRIPT}: {IMG}\n", body=ALL,
        provider=provider, provider_variant={"name": ALL, "domain": ALL, "images": [{"url": JS_URL}]},
        is_possible_duplicate=True, changed_since_review=True, quality=5, heat=5,
    )
    topic = Topic.objects.create(name=ALL, slug="hostile-topic")
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    ArticleImage.objects.create(article=article, position=0, url=JS_URL, title=ALL, extra_yaml=f"x: '{SCRIPT}'\n")
    ArticleImage.objects.create(article=article, position=1, url="https://img.example/a.jpg", title=IMG)
    RelatedArticle.objects.create(
        article=article, position=0, title=ALL, excerpt=f"{ALL} {ENCODED}", web_url=JS_URL, amp_web_url=IMG,
        cdn_amp_web_url=SCRIPT, type=f"{SCRIPT}{IMG}", provider={"name": ALL, "domain": JS_URL},
        images=[{"url": JS_URL, "title": ALL}], extra_yaml=f"x: '{SCRIPT}'\n",
    )
    twin = Article.objects.create(source_key="hostile-twin", source_file="/x", content_hash="1" * 64, title=ALL)
    article.duplicates.add(twin)
    AuditEntry.objects.create(
        article=article, source="import", action="reimport", field=SCRIPT, old_value=ALL, new_value={"k": ALL},
    )
    ImportRun.objects.create(
        status=ImportRun.Status.FINISHED, rejected=1,
        errors=[{"path": f"/data/{SCRIPT}.md", "line": 1, "message": ALL}], arguments={"paths": [ALL]},
    )
    return article


@pytest.fixture
def staff_superuser_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def editor_pages(article: Article) -> list[str]:
    queue = reverse("articles:queue")
    return [
        reverse("articles:dashboard"),
        queue,
        f"{queue}?q=alert",
        f"{queue}?duplicates=true&changed=true",
        f"{queue}?q={SCRIPT}&category={IMG}",
        reverse("articles:review", args=[article.pk]),
        reverse("articles:review", args=[article.pk]) + f"?q={JS_URL}",
    ]


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editor_pages_render_every_payload_inert(hostile_article, role, request):
    client = request.getfixturevalue(f"{role}_client")

    for url in editor_pages(hostile_article):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "alert(1)" in html, f"{url} should show the payload as text"
        assert live_payloads(html) == [], url


def test_the_review_page_shows_the_payloads_as_text(editor_client, hostile_article):
    html = editor_client.get(reverse("articles:review", args=[hostile_article.pk])).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<iframe" not in html
    assert 'href="javascript:' not in html and 'src="javascript:' not in html


def test_a_conflict_message_quoting_a_hostile_title_is_inert(editor_client, second_editor, hostile_article):
    from articles import editorial

    editorial.set_scores(hostile_article.pk, user=second_editor, source="admin", quality=9)
    response = editor_client.post(
        reverse("articles:edit", args=[hostile_article.pk]),
        {"excerpt": "x", "quality": "1", "heat": "5", "status": "awaiting", "version": 1},
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert live_payloads(html) == []


def test_a_confirmation_message_quoting_a_hostile_title_is_inert(editor_client, hostile_article):
    response = editor_client.post(
        reverse("articles:publish", args=[hostile_article.pk]), {"version": 1}, follow=True,
    )

    html = response.content.decode()
    assert "Published" in html
    assert live_payloads(html) == []


def admin_pages(article: Article) -> list[str]:
    pages = [
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_changelist") + "?q=alert",
        reverse("admin:articles_article_change", args=[article.pk]),
    ]
    for model, name in ((AuditEntry, "auditentry"), (ImportRun, "importrun"), (Provider, "provider"), (Topic, "topic")):
        if admin.site.is_registered(model):
            pages.append(reverse(f"admin:articles_{name}_changelist"))
    return pages


def test_admin_pages_render_every_payload_inert(staff_superuser_client, hostile_article):
    if not admin.site.is_registered(Article):
        pytest.skip("the Article admin is not registered yet")

    for url in admin_pages(hostile_article):
        response = staff_superuser_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        if "/article/" in url:
            assert "alert(1)" in html, f"{url} should show the payload as text"
        assert live_payloads(html) == [], url


def test_the_checker_finds_live_payloads():
    assert live_payloads(f"<p>{SCRIPT}</p>")
    assert live_payloads(f"<p>{IMG}</p>")
    assert live_payloads(f'<a href="{JS_URL}">x</a>')
    assert live_payloads('<a href=" JavaScript:alert(1)">x</a>')
    assert live_payloads('<iframe src="https://evil.example/"></iframe>')
    assert live_payloads('<script src="/static/articles/newsroom.js"></script>') == []
    assert live_payloads("<p>&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(1)</p>") == []
