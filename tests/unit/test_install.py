"""StudySync runs from its source checkout: pyproject packages every module `server.py` imports,
and a tree without the checkout's config.toml (a non-editable install) is refused by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import settings
from settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = {"tests", "bench", "scripts", "docs", "web"}


def test_pyproject_lists_every_top_level_module_and_package() -> None:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    modules = {path.stem for path in ROOT.glob("*.py")}
    assert set(tool["py-modules"]) == modules
    include = {pattern.rstrip("*") for pattern in tool["packages"]["find"]["include"]}
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_SHIPPED
    }
    assert packages == include
    assert "commands" in include and not {"demo", "reindex", "supervisor"} & modules


def test_settings_without_the_checkout_config_say_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(settings, "DEFAULT_CONFIG", tmp_path / "config.toml")
    given = tmp_path / "given.toml"
    given.write_text("port = 6000\n")
    for path in (None, given):
        with pytest.raises(ConfigError, match="non-editable install is not supported"):
            load_settings(path, environ={})
