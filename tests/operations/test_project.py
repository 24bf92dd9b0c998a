"""Project hygiene: the licence pyproject declares is the LICENSE file, as an SPDX expression
(no setuptools deprecation warning), and the changelog has this release's section."""

from __future__ import annotations

import re
import tomllib

from tests.processes import ROOT


def test_license_is_mit_as_an_spdx_expression_with_its_file() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "MIT"
    assert pyproject["project"]["license-files"] == ["LICENSE"]
    requires = " ".join(pyproject["build-system"]["requires"])
    found = re.search(r"setuptools>=(\d+)", requires)
    assert found and int(found.group(1)) >= 77  # PEP 639 fields need setuptools 77
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "StudySync contributors" in text


def test_the_changelog_keeps_a_changelog_with_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in text
    assert re.search(r"^## \[Unreleased\]", text, re.MULTILINE)
    assert re.search(r"^## \[0\.1\.0\]", text, re.MULTILINE)
    assert "### Added" in text and "### Changed" in text
