"""The public API of ``complaint_core`` is re-exported from its ``__init__``, lazily, in three lists that must agree."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import attrs

import complaint_core
from complaint_core.events import DomainEvent

INIT = Path(complaint_core.__file__)


def _type_checking_imports() -> dict[str, str]:
    """Name -> module of the imports under ``if TYPE_CHECKING:`` (what type checkers and IDEs see)."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    return {
        alias.name: node.module or "" for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }


def test_the_three_lists_agree_and_every_name_resolves() -> None:
    where = complaint_core._WHERE
    assert sorted(complaint_core.__all__) == sorted(where) == complaint_core.__all__
    assert _type_checking_imports() == where
    for name, module in where.items():
        value = getattr(complaint_core, name)
        assert value is getattr(importlib.import_module(f"complaint_core.{module}"), name)


def _public_subclasses(base: type) -> set[type]:
    for module in pkgutil.iter_modules(complaint_core.__path__):
        importlib.import_module(f"complaint_core.{module.name}")
    found: set[type] = set()
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            module = importlib.import_module(sub.__module__)
            if getattr(module, sub.__name__, None) is sub and not sub.__name__.startswith("_"):
                found.add(sub)  # the class a module defines (attrs' slotted rebuild leaves the original behind)
    return found


def test_every_domain_event_is_exported() -> None:
    events = _public_subclasses(DomainEvent)
    assert len(events) > 40
    missing = sorted(e.__name__ for e in events if getattr(complaint_core, e.__name__, None) is not e)
    assert missing == []


CORE = {"case", "clocks", "policy", "events", "calendar", "intake", "responsibility"}


def test_the_types_inside_the_core_values_are_exported_too() -> None:
    """A user who reads a case's steps, a clock's pauses or a policy's milestones can name their types.

    (The rows of a monthly report or the parts of a return are named through their modules,
    ``complaint_core.report`` and ``complaint_core.returns``: generic names such as ``Group`` stay there.)
    """
    unexported: set[str] = set()
    for name in complaint_core.__all__:
        value = getattr(complaint_core, name)
        if not (inspect.isclass(value) and attrs.has(value) and value.__module__.rsplit(".", 1)[-1] in CORE):
            continue
        module = importlib.import_module(value.__module__)
        for annotation in inspect.get_annotations(value).values():
            for word in re.findall(r"\b[A-Z]\w*", str(annotation)):
                found = getattr(module, word, None)
                inside = inspect.isclass(found) and found.__module__.startswith("complaint_core.")
                if inside and getattr(complaint_core, word, None) is not found:
                    unexported.add(f"{word} (in {name})")
    assert sorted(unexported) == []
