"""Reading import-linter contracts: which count, their exceptions, readable chains."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from strangler.ratchet.contracts import LayeringException, _chains, _counts, read_contracts
from strangler.ratchet.settings import RatchetConfigError


def test_a_contract_counts_when_it_names_the_package_or_a_submodule() -> None:
    assert _counts({"type": "layers", "layers": ["modern.api", "modern.services"]}, "modern")
    assert _counts({"type": "independence", "modules": ["legacy", "modern"]}, "modern")
    assert not _counts({"type": "forbidden", "source_modules": ["strangler"],
                        "forbidden_modules": ["modernity"]}, "modern")  # fmt: skip
    assert not _counts({"name": "modern rules", "type": "forbidden"}, "modern")
    assert _counts({"type": "forbidden"}, "")


def test_chains_are_read_from_every_contract_type_shape() -> None:
    link = {"importer": "m.a", "imported": "m.b", "line_numbers": (3,)}
    link2 = {"importer": "m.b", "imported": "m.c", "line_numbers": (9,)}
    forbidden = {"invalid_chains": [{"upstream_module": "m.c", "downstream_module": "m.a",
                                     "chains": [[link, link2]]}]}  # fmt: skip
    assert list(_chains(forbidden)) == ["m.a -> m.b -> m.c"]
    layers = {"invalid_dependencies": [{"importer": "m.a", "imported": "m.c",
                                        "routes": [{"chain": [link, link2], "extra_firsts": [],
                                                    "extra_lasts": []}]}],
              "undeclared_modules": {"m.z"}}  # fmt: skip
    assert list(_chains(layers)) == ["m.a -> m.b -> m.c", "m.z is not declared as a layer"]
    unrelated = {"importer": "m.x", "imported": "m.y", "line_numbers": (1,)}
    assert list(_chains([link, unrelated])) == ["m.a -> m.b", "m.x -> m.y"]


def test_a_repository_without_contracts_has_nothing_to_count(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    state = read_contracts(tmp_path / "pyproject.toml", root=tmp_path, package="modern")
    assert state.counted == () and state.broken == () and not state.exceptions


def test_a_missing_layer_is_reported_without_hiding_other_contracts(tmp_path: Path) -> None:
    pkg = f"pkg_{uuid.uuid4().hex[:8]}"
    (tmp_path / pkg).mkdir()
    (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / pkg / "api.py").write_text(f"import {pkg}.db\n")
    (tmp_path / pkg / "db.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(f"""
[tool.importlinter]
root_packages = ["{pkg}"]
[[tool.importlinter.contracts]]
id = "layers"
name = "layers"
type = "layers"
layers = ["{pkg}.api", "{pkg}.services"]
[[tool.importlinter.contracts]]
id = "no-db-in-api"
name = "api never imports db"
type = "forbidden"
source_modules = ["{pkg}.api"]
forbidden_modules = ["{pkg}.db"]
ignore_imports = ["{pkg}.api -> {pkg}.db"]
""")
    state = read_contracts(tmp_path / "pyproject.toml", root=tmp_path, package=pkg)
    assert state.counted == ("layers", "no-db-in-api")
    assert [b.contract for b in state.broken] == ["layers"]
    assert "cannot be checked" in state.broken[0].details[0]
    assert state.exceptions == {LayeringException("no-db-in-api", f"{pkg}.api", f"{pkg}.db")}


def test_contracts_without_root_packages_are_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.importlinter]\ninclude_external_packages = true\n"
        '[[tool.importlinter.contracts]]\nname = "x"\ntype = "forbidden"\n'
        'source_modules = ["modern.api"]\nforbidden_modules = ["pymongo"]\n'
    )
    with pytest.raises(RatchetConfigError, match="root_packages"):
        read_contracts(tmp_path / "pyproject.toml", root=tmp_path, package="modern")
