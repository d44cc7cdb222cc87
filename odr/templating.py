"""Jinja's template context with a cheaper call of a plain function (``Environment.context_class``).

A template calls a Python function through ``Context.call``, which asks the function twice whether it wants the
context, the evaluation context or the environment (two attribute lookups that fail for almost every function) before
calling it; a case page makes about 500 such calls. Here a function or method is asked once, in its ``__dict__``,
where Jinja's ``pass_context`` and the like mark it, and a built-in's method (which has nowhere to be marked) not at
all; anything else (macros, callable objects, classes) takes Jinja's way.
"""

from __future__ import annotations

from functools import lru_cache
from types import BuiltinMethodType, FunctionType, MethodType
from typing import Any

from jinja2 import pass_eval_context
from jinja2.runtime import Context as JinjaContext

# Jinja's mark of a function that takes the evaluation context, read off a function so marked (its enum is private).
_EVAL_CONTEXT = pass_eval_context(lambda eval_ctx: None).jinja_pass_arg  # type: ignore[attr-defined]


# Functions, their cached forms (``functools.lru_cache`` keeps a function's marks), methods and built-ins' methods.
_FUNCTIONS = frozenset({FunctionType, type(lru_cache(None)(len)), MethodType, BuiltinMethodType})


class _Names(set):
    """The names of a template's globals. Jinja subtracts a view of an imported template's globals from them at every
    import (is there a global the imported one lacks?), which Python's sets answer one name at a time through the
    view; ``difference`` takes any iterable at C speed."""

    def __sub__(self, other):
        return self.difference(other)


class Context(JinjaContext):
    def __init__(self, environment, parent, name, blocks, globals=None):
        super().__init__(environment, parent, name, blocks)
        self.globals_keys = _Names(() if globals is None else globals)

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind in _FUNCTIONS:
            # A method of a built-in type (``created_at.isoformat``) has no attributes: it takes nothing more.
            marks = {} if kind is BuiltinMethodType else (__obj.__func__ if kind is MethodType else __obj).__dict__
            pass_arg = marks.get("jinja_pass_arg")
            if pass_arg is None or pass_arg is _EVAL_CONTEXT:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
                if pass_arg is not None:
                    args = (__self.eval_ctx, *args)
                try:
                    return __obj(*args, **kwargs)
                except StopIteration:
                    return __self.environment.undefined(
                        "value was undefined because a callable raised a StopIteration exception"
                    )
        return super().call(__obj, *args, **kwargs)
