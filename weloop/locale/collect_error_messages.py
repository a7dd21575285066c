"""Write weloop/core/error_messages.py: every literal WeloopError message, for makemessages to extract.

Error pages show ``gettext(error.detail)`` (weloop/core/rendering.py). A detail is either the class's
default ``message = "..."`` or a literal given where the error is built (``InvalidStore("...")``).
Neither is wrapped in gettext, so xgettext never sees them; this module finds them and lists them as
``gettext_noop`` calls that it does see. ``make messages`` runs it before makemessages:

    .venv/bin/python -m weloop.locale.collect_error_messages

Messages already in Chinese (the simulator's copies of WeChat Pay's answers) and messages built at
run time (f-strings) are left out: there is nothing to translate or nothing fixed to look up.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TypeGuard

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Not under weloop/locale/: makemessages never looks inside a directory named "locale".
OUTPUT = PACKAGE_DIR / "core" / "error_messages.py"
SKIPPED_DIRS = {"tests", "migrations", "locale", "templates", "static"}
SKIPPED_MODULES = {"weloop.settings", "weloop.wsgi", "weloop.cli", "weloop.core.error_messages"}
LINE_LENGTH = 120
CHINESE = re.compile(r"[\u4e00-\u9fff]")

HEADER = '''"""Error messages listed so makemessages extracts them. Generated: do not edit by hand.

weloop/core/rendering.py translates an error's message when it renders the page
(``gettext(error.detail)``), but the messages themselves (``message = "..."`` on WeloopError
subclasses, literals passed when an error is raised) are not wrapped in gettext. Listing them here
as ``gettext_noop`` puts them in weloop/locale/*/django.po. Nothing imports this module at run time.
Regenerate with ``make messages`` (it runs weloop/locale/collect_error_messages.py).
It lives outside weloop/locale/ because makemessages skips every directory named "locale".
"""

from django.utils.translation import gettext_noop

MESSAGES = (
'''


def source_files() -> Iterator[Path]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if not SKIPPED_DIRS.intersection(path.relative_to(PACKAGE_DIR).parts[:-1]):
            yield path


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        return node.value
    return None


def _candidates(tree: ast.AST) -> Iterator[tuple[ast.expr, ast.Call | str]]:
    """(expression naming a class, its message or the call that builds it).

    Class-level ``message = "..."`` gives the text; ``SomeClass(...)`` gives the call, read once the
    class is known (its ``__init__`` says which argument is the message).
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.Assign | ast.AnnAssign):
                    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                    text = _text(statement.value)
                    if text and any(isinstance(t, ast.Name) and t.id == "message" for t in targets):
                        yield ast.Name(id=node.name), text
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            yield node.func, node


def _message_argument(error_class: type, call: ast.Call) -> str | None:
    """The literal passed as the ``message`` parameter of ``error_class(...)``, if any."""
    parameters = list(inspect.signature(error_class).parameters)
    if "message" not in parameters:
        return None
    position = parameters.index("message")
    if position < len(call.args):
        return _text(call.args[position])
    return next((_text(k.value) for k in call.keywords if k.arg == "message"), None)


def _resolve(module: ModuleType, expression: ast.expr) -> object:
    """What a name (``NotFound``) or dotted name (``errors.NotFound``) means inside ``module``."""
    if isinstance(expression, ast.Name):
        return getattr(module, expression.id, None)
    if isinstance(expression, ast.Attribute):
        return getattr(_resolve(module, expression.value), expression.attr, None)
    return None


def is_weloop_error(value: object) -> TypeGuard[type]:
    from weloop.core.errors import WeloopError

    return isinstance(value, type) and issubclass(value, WeloopError)


def collect() -> dict[str, str]:
    """Every translatable error message -> the first file that uses it, in file order."""
    found: dict[str, str] = {}
    for path in source_files():
        name = module_name(path)
        candidates = list(_candidates(ast.parse(path.read_text(encoding="utf-8"))))
        if name in SKIPPED_MODULES or not candidates:
            continue
        module = importlib.import_module(name)
        for expression, message in candidates:
            error_class = _resolve(module, expression)
            if not is_weloop_error(error_class):
                continue
            text = message if isinstance(message, str) else _message_argument(error_class, message)
            if text and not CHINESE.search(text):
                found.setdefault(text, str(path.relative_to(PACKAGE_DIR.parent)))
    return found


def render(messages: dict[str, str]) -> str:
    """One ``gettext_noop`` line per message, under a comment naming the file that first uses it."""
    lines: list[str] = []
    current_file = None
    for text, where in messages.items():
        if where != current_file:
            lines.append(f"    # {where}")
            current_file = where
        line = f"    gettext_noop({json.dumps(text, ensure_ascii=False)}),"
        lines.append(line + "  # noqa: E501" if len(line) > LINE_LENGTH else line)
    return HEADER + "\n".join(lines) + "\n)\n"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    import django

    django.setup()
    messages = collect()
    OUTPUT.write_text(render(messages), encoding="utf-8")
    print(f"{len(messages)} error messages -> {OUTPUT.relative_to(PACKAGE_DIR.parent)}")


if __name__ == "__main__":
    main()
