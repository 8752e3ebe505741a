"""The corpus generator and the bundled sample data: both must stay valid, importable and varied."""

import datetime as dt
import io
import random
from pathlib import Path

import pytest
from django.core.management import call_command

from articles import frontmatter
from articles.exporting import render
from articles.generator import SAMPLE_IMAGE_BASE, generate_corpus, generate_item, iter_items
from articles.importing import import_paths
from articles.models import Article
from articles.schema import CANONICAL_ORDER, IMAGE_FIELDS, MODELLED_KEYS, RELATED_FIELDS
from articles.urlnorm import canonical_url, is_http_url

from .conftest import SAMPLE_DATA

STATIC_SAMPLE = SAMPLE_DATA.parent / "static" / "sample"


def read_tree(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def parsed(paths) -> list[tuple[Path, frontmatter.Document]]:
    return [(path, frontmatter.parse(path.read_bytes())) for path in sorted(paths)]


def sample_documents() -> list[tuple[Path, frontmatter.Document]]:
    return parsed(p for p in SAMPLE_DATA.iterdir() if p.is_file())


def all_urls(value):
    """Every URL-valued entry of a front matter mapping, nested ones included."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("url", "webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl") and isinstance(item, str):
                yield item
            else:
                yield from all_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_urls(item)


def in_order(keys, order) -> bool:
    known = [key for key in keys if key in order]
    return known == sorted(known, key=list(order).index)


def assert_pipeline_key_order(front: dict) -> None:
    """Keys in the order the pipeline writes them (what an export reproduces): top level, images, related."""
    assert in_order(front, CANONICAL_ORDER), list(front)
    for related in front.get("related", []):
        assert in_order(related, RELATED_FIELDS), list(related)
    for image in [*front.get("images", []), *(i for r in front.get("related", []) for i in r.get("images", []))]:
        assert in_order(image, IMAGE_FIELDS), list(image)


def image_urls(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "images":
                yield from (image["url"] for image in item)
            yield from image_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from image_urls(item)


# --- generator ----------------------------------------------------------------------


def test_same_seed_writes_identical_bytes(tmp_path):
    generate_corpus(tmp_path / "a", count=40, seed=7)
    generate_corpus(tmp_path / "b", count=40, seed=7)
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")


def test_different_seeds_write_different_corpora(tmp_path):
    generate_corpus(tmp_path / "a", count=40, seed=7)
    generate_corpus(tmp_path / "b", count=40, seed=8)
    assert set(read_tree(tmp_path / "a").values()).isdisjoint(read_tree(tmp_path / "b").values())


def test_a_shorter_corpus_is_a_prefix_of_a_longer_one(tmp_path):
    short = generate_corpus(tmp_path / "short", count=30, seed=3)
    long = generate_corpus(tmp_path / "long", count=60, seed=3)
    assert [p.name for p in long[:30]] == [p.name for p in short]
    assert all(p.read_bytes() == (tmp_path / "long" / p.name).read_bytes() for p in short)


def test_generate_item_is_a_pure_function_of_its_random_source():
    first = generate_item(random.Random(5), 12)
    second = generate_item(random.Random(5), 12)
    assert first == second
    name, front, body = first
    assert isinstance(name, str) and isinstance(front, dict) and isinstance(body, str)


def test_generated_files_parse_and_have_the_seed_shape(tmp_path):
    paths = generate_corpus(tmp_path, count=200, seed=11)
    assert len({p.stem for p in paths}) == 200  # the source key is unique
    for path, doc in parsed(paths):
        front = doc.front
        assert frontmatter.dump(front, doc.body).encode() == path.read_bytes()  # the pipeline's exact layout
        assert_pipeline_key_order(front)
        assert path.suffix in (".md", ".txt")
        assert isinstance(front["title"], str) and front["title"]
        assert isinstance(front["publishedDateTime"], dt.datetime) and front["publishedDateTime"].tzinfo
        assert front["type"] in ("article", "video")
        assert front.get("webUrl") or front.get("originalUrl")
        assert all(is_http_url(url) for url in all_urls(front))
        assert set(front["provider"]) <= {"name", "domain", "images"}
        assert front["topics"] and all(isinstance(topic, str) for topic in front["topics"])
        assert front["images"] and all({"url", "width", "height"} <= set(image) for image in front["images"])
        assert len(front["related"]) == 5
        for related in front["related"]:
            assert {"title", "webUrl", "type", "provider", "quality"} <= set(related)
        if "quality" in front:
            assert 0 <= front["quality"] <= 189 and -1 <= front["heat"] <= 189
            assert isinstance(front["published"], bool)
        if front["type"] == "video":
            assert '<iframe' in front["featuredContent"]


def test_generated_corpus_varies_like_real_data(tmp_path):
    fronts = [front for _, front, _ in iter_items(count=600, seed=2)]
    assert {front["type"] for front in fronts} == {"article", "video"}
    assert any("ampWebUrl" in front for front in fronts) and any("ampWebUrl" not in front for front in fronts)
    assert any("quality" not in front for front in fronts)
    assert any(front.get("heat") == -1 for front in fronts)
    assert any(front["type"] == "video" and "webUrl" not in front for front in fronts)
    assert any("images" in front["provider"] for front in fronts)
    assert any("images" not in front["provider"] for front in fronts)
    assert len({front["provider"]["domain"] for front in fronts}) > 20
    assert len({front["category"] for front in fronts}) > 3
    canonical = [canonical_url(front["originalUrl"]) for front in fronts]
    assert len(set(canonical)) < len(canonical)  # some stories come round again under a tracking URL
    assert len({front["originalUrl"] for front in fronts}) == len(fronts)


def test_demo_images_point_at_bundled_thumbnails(tmp_path):
    paths = generate_corpus(tmp_path, count=20, seed=1, image_base=SAMPLE_IMAGE_BASE)
    urls = {url for _, doc in parsed(paths) for url in image_urls(doc.front)}
    assert urls and all(url.startswith(SAMPLE_IMAGE_BASE) for url in urls)
    assert all((STATIC_SAMPLE / url.removeprefix(SAMPLE_IMAGE_BASE)).is_file() for url in urls)


def test_generate_articles_command_writes_the_generators_corpus(tmp_path):
    output = io.StringIO()
    call_command("generate_articles", str(tmp_path / "cmd"), "--count", "15", "--seed", "4", stdout=output)
    generate_corpus(tmp_path / "api", count=15, seed=4)
    assert output.getvalue().startswith("15 files written")
    assert read_tree(tmp_path / "cmd") == read_tree(tmp_path / "api")


@pytest.mark.django_db
def test_generated_corpus_imports_without_rejections_and_its_duplicates_are_marked(tmp_path):
    paths = generate_corpus(tmp_path, count=80, seed=2)
    canonical = {path.stem: canonical_url(doc.front["originalUrl"]) for path, doc in parsed(paths)}
    repeated = {key for key, url in canonical.items() if list(canonical.values()).count(url) > 1}
    assert repeated  # this seed has syndicated copies

    summary = import_paths([tmp_path])

    assert (summary.created, summary.rejected) == (80, 0), summary.errors
    marked = set(Article.objects.filter(is_possible_duplicate=True).values_list("source_key", flat=True))
    assert marked == repeated


# --- sample data --------------------------------------------------------------------


def test_every_sample_file_parses_in_the_pipelines_layout():
    documents = sample_documents()
    assert len(documents) >= 30
    for path, doc in documents:
        assert path.suffix in (".md", ".txt")
        assert frontmatter.dump(doc.front, doc.body).encode() == path.read_bytes(), path.name
        assert_pipeline_key_order(doc.front)
        assert all(is_http_url(url) or url.startswith(SAMPLE_IMAGE_BASE) for url in all_urls(doc.front)), path.name


def test_sample_article_urls_use_reserved_example_domains():
    for path, doc in sample_documents():
        for key in ("originalUrl", "webUrl", "ampWebUrl"):
            if key in doc.front:
                host = canonical_url(doc.front[key]).split("/")[2]
                assert host.endswith(".example"), (path.name, key)


def test_sample_images_are_bundled_static_files():
    urls = {url for _, doc in sample_documents() for url in image_urls(doc.front)}
    assert urls
    for url in urls:
        assert url.startswith(SAMPLE_IMAGE_BASE), url
        assert (STATIC_SAMPLE / url.removeprefix(SAMPLE_IMAGE_BASE)).is_file(), url


def test_sample_data_has_the_variety_the_demo_needs():
    fronts = [doc.front for _, doc in sample_documents()]
    bodies = [doc.body for _, doc in sample_documents()]
    videos = [front for front in fronts if front["type"] == "video"]
    assert videos and all(
        "https://www.youtube.com/embed/" in front["featuredContent"]
        or "https://player.vimeo.com/video/" in front["featuredContent"]
        for front in videos
    )
    assert any("vimeo" in front["featuredContent"] for front in videos)
    assert any("webUrl" not in front for front in videos)
    assert any("related" in front for front in fronts) and any("related" not in front for front in fronts)
    related = [item for front in fronts for item in front.get("related", [])]
    assert all({"title", "webUrl", "provider", "quality"} <= set(item) for item in related)
    assert any("images" in item for item in related) and any("ampWebUrl" in item for item in related)
    assert any(set(front) - MODELLED_KEYS for front in fronts)  # a key we do not model
    assert any("images" in front["provider"] for front in fronts)
    assert any("images" not in front["provider"] for front in fronts)
    assert any("ampWebUrl" in front for front in fronts)
    assert any("images" not in front for front in fronts)
    assert any(len(front.get("images", [])) > 1 for front in fronts)
    assert {front.get("published") for front in fronts} == {True, False, None}
    assert any("quality" not in front and "heat" not in front for front in fronts)
    assert any(front.get("heat") == -1 for front in fronts)
    assert any(front.get("quality", 0) > 100 for front in fronts)
    assert any("&#038;" in front["excerpt"] for front in fronts) and any("&nbsp;" in front["excerpt"] for front in fronts)
    assert any(body.strip().startswith("The ") and "## " in body for body in bodies)  # a Markdown body
    assert len({front["provider"]["domain"] for front in fronts}) >= 5
    assert len({front["category"] for front in fronts}) >= 5
    assert len({topic for front in fronts for topic in front["topics"]}) >= 15


def test_sample_data_has_a_pair_differing_only_by_tracking_parameters():
    web_urls = [doc.front["webUrl"] for _, doc in sample_documents() if "webUrl" in doc.front]
    canonical = [canonical_url(url) for url in web_urls]
    pairs = [url for url in set(canonical) if canonical.count(url) == 2]
    assert pairs
    twins = [url for url in web_urls if canonical_url(url) == pairs[0]]
    assert len(set(twins)) == 2 and any("utm_" in url for url in twins)


@pytest.mark.django_db
def test_sample_data_imports_with_no_rejections_and_marks_the_duplicate_pair():
    count = sum(1 for p in SAMPLE_DATA.iterdir() if p.is_file())
    summary = import_paths([SAMPLE_DATA])
    assert (summary.files, summary.created, summary.rejected) == (count, count, 0), summary.errors
    duplicates = Article.objects.filter(is_possible_duplicate=True)
    assert duplicates.count() == 2
    first, second = duplicates
    assert list(first.duplicates.all()) == [second]
    assert import_paths([SAMPLE_DATA]).unchanged == count


@pytest.mark.django_db
def test_sample_data_and_a_generated_corpus_export_back_byte_for_byte(tmp_path):
    generated = generate_corpus(tmp_path, count=40, seed=5)
    samples = [p for p in SAMPLE_DATA.iterdir() if p.is_file()]
    import_paths([SAMPLE_DATA, tmp_path])
    for path in samples + generated:
        assert render(Article.objects.get(source_key=path.stem)).encode() == path.read_bytes(), path.name


@pytest.mark.django_db
def test_sample_images_show_on_whatever_host_and_port_the_demo_runs(editor_client, settings):
    """The sample items name their images site-relative; `make run` sets SOURCE_SITE_URL to where it serves."""
    settings.SOURCE_SITE_URL = "http://127.0.0.1:8001"
    import_paths([SAMPLE_DATA])

    html = editor_client.get("/articles/?size=100").content.decode()

    assert 'src="http://127.0.0.1:8001/static/sample/' in html and "127.0.0.1:8000" not in html
    for path in SAMPLE_DATA.iterdir():
        assert "127.0.0.1" not in path.read_text(encoding="utf-8"), path.name
