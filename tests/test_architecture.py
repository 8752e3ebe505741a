"""The flow docs/ARCHITECTURE.md describes: each module of `articles` imports only modules listed before it."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "articles"

# docs/ARCHITECTURE.md's order: the file format, the model, writes, reads, the web.
FLOW = [
    # 1. the file format: pure Python
    "yaml_loader", "frontmatter", "urlnorm", "schema", "validation", "clustering", "cluster_plan", "cursors", "generator",
    "story_variants",
    # 2. the stored model, and how its values read
    "lookups", "models", "display",
    # 3. writes
    "reading", "story_leads", "editorial", "editorial_clusters", "rules", "rule_actions", "cluster_index",
    "import_writer", "heap", "import_log", "importing", "exporting",
    # 4. reads
    "timestamps", "paging", "search", "filters", "selectors", "cluster_selectors", "published",
    # 5. the web
    "throttling", "middleware", "forms",
    "admin_dates", "admin_lists", "admin_rows",
    "templatetags.newsroom", "templatetags.queue_rows", "templatetags.newsroom_admin",
    "rule_forms", "rule_views",
    "views", "urls", "feeds", "api", "public_urls",
    "admin",
    "apps",
]
PURE = FLOW[:FLOW.index("story_variants") + 1]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(APP).with_suffix("").parts)


def app_modules() -> list[Path]:
    return sorted(
        p for p in APP.rglob("*.py")
        if p.name != "__init__.py" and "migrations" not in p.parts and "management" not in p.parts
    )


def imported_app_modules(path: Path, source: str | None = None) -> set[str]:
    """The `articles` modules a file imports, anywhere in it (imports inside functions count)."""
    package = module_name(path).split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source if source is not None else path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] + ([node.module] if node.module else [])
            elif node.module and node.module.split(".")[0] == "articles":
                base = node.module.split(".")[1:]
            else:
                continue
            stem = ".".join(base)
            candidates = [stem] if stem in FLOW else [".".join(base + [alias.name]) for alias in node.names]
            found.update(name for name in candidates if name in FLOW)
        elif isinstance(node, ast.Import):
            names = (alias.name.removeprefix("articles.") for alias in node.names)
            found.update(name for name in names if name in FLOW)
    return found


def test_every_module_has_its_place_in_the_flow():
    assert sorted(module_name(p) for p in app_modules()) == sorted(FLOW)


@pytest.mark.parametrize("path", app_modules(), ids=module_name)
def test_a_module_imports_only_modules_before_it(path):
    name = module_name(path)
    later = {other for other in imported_app_modules(path) if FLOW.index(other) >= FLOW.index(name)}
    assert not later, f"{name} imports {sorted(later)}, which come after it in docs/ARCHITECTURE.md's flow"


@pytest.mark.parametrize("name", PURE)
def test_the_file_format_needs_no_django(name):
    tree = ast.parse((APP / f"{name}.py").read_text(encoding="utf-8"))
    top_level = {
        alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert "django" not in top_level


def test_the_checker_sees_every_form_of_import():
    source = (
        "from .editorial import publish\nfrom articles import selectors\nimport articles.views\n"
        "def f():\n    from . import paging, os\n    from articles.admin import thing\n"
    )
    assert imported_app_modules(APP / "schema.py", source) == {"editorial", "selectors", "views", "paging", "admin"}
    nested = APP / "templatetags" / "queue_rows.py"
    assert imported_app_modules(nested, "from .newsroom import x\nfrom .. import models\n") == {
        "templatetags.newsroom", "models"}
