"""`[tool.strangler.ratchet]`: defaults, overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from strangler.ratchet.settings import RatchetConfigError, load_settings


def test_defaults_fit_this_repository(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.strangler.ratchet]\nlegacy_app = "a.b:app"\n')
    settings = load_settings(tmp_path)
    assert settings.legacy_app == "a.b:app" and settings.legacy_openapi is None
    assert settings.routes == tmp_path.resolve() / "routes.yaml"
    assert settings.relative(settings.baseline) == "migration.lock"
    assert settings.modern_package == "modern"


def test_an_openapi_source_replaces_the_app(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.strangler.ratchet]\nlegacy_openapi = "https://legacy.example/openapi.json"\n'
        'routes = "deploy/routes.yaml"\n'
    )
    settings = load_settings(tmp_path)
    assert settings.legacy_app is None
    assert settings.legacy_openapi == "https://legacy.example/openapi.json"
    assert settings.relative(settings.routes) == "deploy/routes.yaml"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('legacy_app = "a:b"\nlegacy_openapi = "x.json"\n', "sets both legacy_app and"),
        ("baseline = 3\n", "baseline must be a string"),
        ('roots = "x"\n', "unknown key(s) roots"),
        ("[[", "cannot read"),
    ],
)
def test_bad_settings_are_one_clear_error(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.strangler.ratchet]\n" + table)
    with pytest.raises(RatchetConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("pyproject", "where"),
    [
        (None, "is missing"),
        ('[project]\nname = "shop"\n', "is missing"),
        ('[tool.strangler.ratchet]\nroutes = "deploy/routes.yaml"\n', "sets neither"),
    ],
)
def test_no_inventory_source_says_what_to_write(
    tmp_path: Path, pyproject: str | None, where: str
) -> None:
    """Nothing is imported by default: the message names both ways to say where legacy is."""
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    with pytest.raises(RatchetConfigError) as caught:
        load_settings(tmp_path)
    message = str(caught.value)
    assert where in message
    assert 'legacy_app = "package.module:app"' in message and "legacy_openapi = " in message


def test_a_root_that_is_not_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RatchetConfigError, match="not a directory"):
        load_settings(tmp_path / "missing")
