"""Finding the handlers a service provides, by name: ``module:attr`` mappings and the
``escflow.handlers`` entry-point group.

A handler is a callable that takes the :class:`~escflow.records.Action` (its payload holds
the ticket, the response's label and its ``with`` arguments). A service names them in a
mapping (``{"create-incident-report": create_report, ...}``) that ``escflow worker
--handlers myservice.handlers:HANDLERS`` imports, or installs them as entry points::

    [project.entry-points."escflow.handlers"]
    create-incident-report = "myservice.handlers:create_report"
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from escflow.compile import CompiledFlow
from escflow.errors import UnknownHandler
from escflow.records import Action
from escflow.spec._models import HandlerAction

GROUP = "escflow.handlers"
Handler = Callable[[Action], None]


def handlers_named(flows: Iterable[CompiledFlow]) -> dict[str, list[str]]:
    """The handlers the flows call, each with where (``flow/step``), in the flows' order."""
    named: dict[str, list[str]] = {}
    for flow in flows:
        for step in flow.steps.values():
            for response in step.responses:
                if isinstance(response, HandlerAction):
                    named.setdefault(response.handler, []).append(f"{flow.id}/{step.id}")
    return named


def load_handlers(
    specs: Sequence[str], *, group: str | None = GROUP
) -> tuple[dict[str, Handler], dict[str, str]]:
    """The handlers of each ``module:attr`` in ``specs`` (a mapping of names to callables)
    and of the entry points of ``group`` (each one a handler, by its name); also where each
    came from, for messages. A name given by two ``specs`` is refused; a spec's handler
    goes before an entry point of the same name.

    Modules are looked for in the current folder too, as ``python -m`` does. Raises
    :class:`~escflow.errors.UnknownHandler` naming what cannot be loaded and why.
    """
    found: dict[str, Handler] = {}
    source: dict[str, str] = {}
    if group is not None:
        for point in sorted(entry_points(group=group), key=lambda p: p.name):
            found[point.name] = _entry_point(point, group)
            source[point.name] = f"entry point '{point.name}' ({point.value})"
    given: dict[str, str] = {}
    for spec in specs:
        for name, handler in _mapping(spec).items():
            if name in given:
                raise UnknownHandler(
                    f"--handlers {spec} and --handlers {given[name]} both give handler"
                    f" '{name}'; give each handler once"
                )
            given[name] = spec
            found[name] = handler
            source[name] = f"--handlers {spec}"
    return found, source


def _mapping(spec: str) -> Mapping[str, Handler]:
    module_name, _, attr = spec.partition(":")
    value = getattr(_import(module_name, spec), attr, _MISSING) if attr else _MISSING
    if value is _MISSING:
        raise UnknownHandler(
            f"--handlers {spec}: module '{module_name}' has no '{attr}'; give MODULE:NAME,"
            " NAME a mapping of handler names to callables"
        )
    if not isinstance(value, Mapping):
        raise UnknownHandler(
            f"--handlers {spec}: '{attr}' is a {type(value).__name__}, not a mapping; give a"
            " dict of handler names to callables, e.g. {'create-incident-report': create}"
        )
    for name, handler in value.items():
        if not isinstance(name, str) or not callable(handler):
            raise UnknownHandler(
                f"--handlers {spec}: the entry {name!r}: {handler!r} is not a name (text) and"
                " a callable"
            )
    return value


def _import(module_name: str, spec: str) -> object:
    here = str(Path.cwd())
    if here not in sys.path:  # a service's own package, run from its folder
        sys.path.append(here)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise UnknownHandler(
                f"--handlers {spec}: no module '{module_name}' (looked for in the current"
                " folder and the installed packages)"
            ) from None
        raise UnknownHandler(f"--handlers {spec}: importing it failed: {_where(exc)}") from None
    except Exception as exc:
        raise UnknownHandler(f"--handlers {spec}: importing it failed: {_where(exc)}") from None


def _entry_point(point: EntryPoint, group: str) -> Handler:
    try:
        handler = point.load()
    except Exception as exc:
        raise UnknownHandler(
            f"the '{group}' entry point '{point.name}' ({point.value}) cannot be loaded:"
            f" {_where(exc)}"
        ) from None
    if not callable(handler):
        raise UnknownHandler(
            f"the '{group}' entry point '{point.name}' ({point.value}) is a"
            f" {type(handler).__name__}, not a callable"
        )
    return handler  # type: ignore[no-any-return]


def _where(exc: BaseException) -> str:
    """An error with the file and line of the service's code that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "importlib" not in f.filename]
    at = f" at {own[-1].filename}:{own[-1].lineno}" if own else ""
    if isinstance(exc, SyntaxError) and exc.filename:
        at = f" at {exc.filename}:{exc.lineno}:{exc.offset}"
    return f"{type(exc).__name__}: {exc}{at}"


class _Missing:
    pass


_MISSING = _Missing()
