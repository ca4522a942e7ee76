"""aiogram's pydantic models built when first used, not all at import.

`aiogram.types` ends by calling `model_rebuild()` on each of its 444 models, so each gets
a validator of its own with the whole tree of the types it holds inlined: most of the
bot's memory before it handles anything (aiogram issue #1513). The bot uses a few dozen
of them. Here that loop is skipped: pydantic builds a model the first time it is
validated or constructed, from the same names, so with the same result. Validating an
`Update` builds one validator for the whole tree, a few MB. The names aiogram imports only
for type checkers are put into its modules, so that a model finds them whenever and from
wherever it is built.

`install()` must run before anything imports aiogram (`bot/__init__.py` calls it); if
aiogram was imported already it does nothing, and aiogram builds everything at import as
before. `tests/test_lazy_models.py` builds every model, and every method's response, the
lazy way.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel


def install() -> bool:
    """True when aiogram's models will be built lazily."""
    if "aiogram" in sys.modules:
        return False

    eager = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {}

    @classmethod  # type: ignore[misc]
    def deferred(
        cls: type[BaseModel], *args: Any, _types_namespace: Any = None, **kwargs: Any
    ) -> bool | None:
        # Only the call at the end of aiogram.types: `Model.model_rebuild(_types_namespace=...)`.
        if (
            _types_namespace is None
            or args
            or kwargs
            or not cls.__module__.startswith("aiogram.types.")
        ):
            return eager(cls, *args, _types_namespace=_types_namespace, **kwargs)
        namespace.update(_types_namespace)
        return None

    BaseModel.model_rebuild = deferred  # type: ignore[method-assign]
    try:
        import aiogram.methods
        import aiogram.types  # noqa: F401
    finally:
        BaseModel.model_rebuild = classmethod(eager)  # type: ignore[method-assign]
    # The names aiogram imports only for type checkers, given to each module of types and
    # methods: a model built later, from whatever model or generic holds it (`Response[Message]`),
    # finds the names of its annotations in its own module, as the rebuild at import did.
    for name, module in list(sys.modules.items()):
        if name.startswith(("aiogram.types.", "aiogram.methods.")) and module is not None:
            for key, value in namespace.items():
                vars(module).setdefault(key, value)
    _keep_responses()
    return True


def _keep_responses() -> None:
    """Each answer is read with `Response[<the method's result type>]`, and pydantic keeps
    such generic models only as long as someone else does: nobody does, so every request
    built its model again (a tenth of the bot's CPU under load). They are kept here; there
    are as many as the result types of the Bot API, a few dozen."""
    from aiogram.methods.base import Response

    kept: dict[Any, type[BaseModel]] = {}
    parametrize = Response.__class_getitem__.__func__  # type: ignore[attr-defined]

    def keep(cls: type[Response], params: Any) -> type[BaseModel]:  # type: ignore[type-arg]
        if cls is not Response:
            return parametrize(cls, params)
        model = kept.get(params)
        if model is None:
            model = kept[params] = parametrize(cls, params)
        return model

    Response.__class_getitem__ = classmethod(keep)  # type: ignore[method-assign,assignment]
