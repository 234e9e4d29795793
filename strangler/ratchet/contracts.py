"""The layering contracts: which are broken, and which exceptions they tolerate.

The contracts live in pyproject.toml's `[tool.importlinter]`; a tolerated exception
is one `ignore_imports` entry of a contract. The ratchet counts the contracts that
name the modern package: the ratchet fails when the modern service breaks a layering
contract or gains a layering exception.

import-linter is run in process: the import graph is built once with grimp, then each
counted contract is checked on its own copy, so one contract that cannot run (say, a
layer module that does not exist yet) is reported by name without hiding the others.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grimp
from importlinter import configuration
from importlinter.application.use_cases import read_user_options
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract
from importlinter.contracts.private_modules import PrivateModulesContract
from importlinter.contracts.protected import ProtectedContract
from importlinter.domain.contract import Contract, InvalidContractOptions

from strangler.ratchet.loading import imports_from
from strangler.ratchet.settings import RatchetConfigError

__all__ = ["BrokenContract", "ContractsState", "LayeringException", "read_contracts"]

_CONTRACT_TYPES: dict[str, type[Contract]] = {
    "forbidden": ForbiddenContract,
    "layers": LayersContract,
    "independence": IndependenceContract,
    "protected": ProtectedContract,
    "private_modules": PrivateModulesContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}
# Options that hold no module names, so they never decide whether a contract counts.
_NOT_MODULES = frozenset(
    {"id", "name", "type", "ignore_imports", "unmatched_ignore_imports_alerting"}
)


@dataclass(frozen=True, order=True, slots=True)
class LayeringException:
    """One `ignore_imports` entry: an import a contract tolerates."""

    contract: str
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.contract} {self.importer} -> {self.imported}"


@dataclass(frozen=True, slots=True)
class BrokenContract:
    """A counted contract that is broken or could not be checked.

    Parameters:
        contract: the contract's id (its name when it has none).
        name: the contract's human name.
        details: the offending imports (`a -> b -> c`) or why it could not run.
    """

    contract: str
    name: str
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContractsState:
    """The counted contracts of a repository: their exceptions and the broken ones."""

    counted: tuple[str, ...]
    exceptions: frozenset[LayeringException]
    broken: tuple[BrokenContract, ...]


def read_contracts(pyproject: Path, *, root: Path, package: str) -> ContractsState:
    """Check the contracts of `pyproject` that name `package` (every contract if empty)."""
    configuration.configure()
    try:
        options = read_user_options(str(pyproject))
    except FileNotFoundError:
        return ContractsState(counted=(), exceptions=frozenset(), broken=())
    except KeyError as exc:  # import-linter's own message is just the key
        raise RatchetConfigError(
            f"{pyproject}: [tool.importlinter] needs {exc.args[0]}s"
            if exc.args and exc.args[0] == "root_package"
            else f"{pyproject}: [tool.importlinter] lacks {exc}"
        ) from None
    except Exception as exc:  # a malformed [tool.importlinter] table
        raise RatchetConfigError(f"{pyproject}: cannot read [tool.importlinter]: {exc}") from None
    contracts = [c for c in options.contracts_options if _counts(c, package)]
    exceptions = frozenset(e for c in contracts for e in _exceptions(c))
    if not contracts:
        return ContractsState(counted=(), exceptions=exceptions, broken=())
    session = options.session_options
    if not session.get("root_packages"):
        raise RatchetConfigError(f"{pyproject}: [tool.importlinter] needs root_packages")
    try:
        with imports_from(root):
            graph = grimp.build_graph(
                *session["root_packages"],
                include_external_packages=_flag(session.get("include_external_packages")),
                exclude_type_checking_imports=_flag(session.get("exclude_type_checking_imports")),
                cache_dir=None,
            )
    except Exception as exc:  # grimp's errors (a missing root package) carry the reason
        reason = f"the import graph cannot be built: {type(exc).__name__}: {exc}"
        broken = tuple(
            BrokenContract(_id(c), str(c.get("name", _id(c))), (reason,)) for c in contracts
        )
        return ContractsState(tuple(_id(c) for c in contracts), exceptions, broken)
    broken = tuple(b for c in contracts if (b := _check(c, session, graph)) is not None)
    return ContractsState(tuple(_id(c) for c in contracts), exceptions, broken)


def _check(options: dict[str, Any], session: dict[str, Any], graph: Any) -> BrokenContract | None:
    contract_id, name = _id(options), str(options.get("name", _id(options)))
    contract_class = _CONTRACT_TYPES.get(str(options.get("type")))
    if contract_class is None:
        reason = f"contract type {options.get('type')!r} is not one the ratchet can check"
        return BrokenContract(contract_id, name, (reason,))
    try:
        contract = contract_class(name=name, session_options=session, contract_options=options)
        check = contract.check(copy.deepcopy(graph), verbose=False)
    except InvalidContractOptions as exc:
        problems = "; ".join(f"{key}: {value}" for key, value in sorted(exc.errors.items()))
        return BrokenContract(contract_id, name, (f"invalid options: {problems}",))
    except Exception as exc:  # e.g. a declared layer that does not exist
        return BrokenContract(contract_id, name, (f"cannot be checked: {exc}",))
    if check.kept:
        return None
    details = tuple(dict.fromkeys(_chains(check.metadata))) or ("broken (see lint-imports)",)
    return BrokenContract(contract_id, name, details)


def _chains(metadata: Any) -> Iterator[str]:
    """Every import chain in a contract check's metadata, as `a -> b -> c`.

    Each contract type nests its chains differently, but every direct import in them
    is a dict with `importer` and `imported`; consecutive ones form a chain.
    """
    if isinstance(metadata, dict):
        for value in metadata.values():
            yield from _chains(value)
        return
    if isinstance(metadata, set | frozenset):
        yield from (f"{module} is not declared as a layer" for module in sorted(metadata))
        return
    if not isinstance(metadata, list | tuple):
        return
    if metadata and all(_is_link(item) for item in metadata):
        consecutive = all(a["imported"] == b["importer"] for a, b in itertools.pairwise(metadata))
        if consecutive:
            yield " -> ".join([metadata[0]["importer"]] + [link["imported"] for link in metadata])
        else:  # alternative first or last hops of one chain, each an import on its own
            yield from (f"{link['importer']} -> {link['imported']}" for link in metadata)
        return
    for item in metadata:
        yield from _chains(item)


def _is_link(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and "importer" in item
        and "imported" in item
        and ("line_numbers" in item)
    )


def _counts(options: dict[str, Any], package: str) -> bool:
    if not package:
        return True
    pattern = re.compile(rf"(?<![\w.]){re.escape(package)}(?![\w])")
    return any(
        pattern.search(text)
        for key, value in options.items()
        if key not in _NOT_MODULES
        for text in _strings(value)
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _exceptions(options: dict[str, Any]) -> Iterator[LayeringException]:
    entries = options.get("ignore_imports") or []
    for entry in [entries] if isinstance(entries, str) else entries:
        importer, arrow, imported = str(entry).partition("->")
        if arrow:
            yield LayeringException(_id(options), importer.strip(), imported.strip())


def _id(options: dict[str, Any]) -> str:
    return str(options.get("id") or options.get("name", "?")).replace(" ", "-")


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")
