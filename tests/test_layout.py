"""The domain knows nothing of Telegram, SMS or the web (ARCHITECTURE.md)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "aiogram",
    "aiogram_dialog",
    "kavenegar",
    "aiohttp",
    "requests",
    "handlers",
    "jobs",
    "bot",
    "apscheduler",
    "redis",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_loyalty_imports_no_channel_library() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN)
        for path in (ROOT / "loyalty").rglob("*.py")
        if _imports(path) & FORBIDDEN
    }
    assert offenders == {}


def test_models_import_only_storage() -> None:
    for path in (ROOT / "models").rglob("*.py"):
        assert not _imports(path) & (FORBIDDEN | {"loyalty"}), path


def test_handlers_do_not_import_the_composition_root() -> None:
    """What a handler needs reaches it through the dispatcher's workflow data, not from bot/."""
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "handlers").rglob("*.py")
        if "bot" in _imports(path)
    )
    assert offenders == []


def test_staff_rules_stay_channel_free() -> None:
    forbidden = FORBIDDEN | {"matplotlib", "openpyxl"}  # charts and workbooks are the doors' work
    paths = [*(ROOT / "loyalty" / "staff").glob("*.py")]
    for path in [*paths, ROOT / "loyalty" / "reports.py", ROOT / "loyalty" / "importing.py"]:
        assert not _imports(path) & forbidden, path.name
