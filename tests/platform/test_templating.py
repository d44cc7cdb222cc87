"""The platform's template context calls every kind of callable exactly as Jinja's own context does."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import DictLoader, Environment, pass_context, pass_environment, pass_eval_context

from odr.templating import Context


class Greeter:
    def __init__(self, greeting):
        self.greeting = greeting

    def greet(self, name):
        return f"{self.greeting}, {name}"

    def __call__(self, name):
        return f"{self.greeting}! {name}"


def plain(x, suffix=""):
    return f"plain {x}{suffix}"


@pass_eval_context
def escaped(eval_ctx, x):
    return f"autoescape={eval_ctx.autoescape} {x}"


@pass_context
def looked_up(context, name):
    return f"{name}={context.get(name)}"


@pass_environment
def environment_named(env, x):
    return f"{type(env).__name__} {x}"


@lru_cache
def cached(x):
    return f"cached {x}"


@lru_cache
@pass_environment
def cached_environment_named(env, x):
    return f"cached {type(env).__name__} {x}"


def exhausted():
    raise StopIteration


TEMPLATE = (
    "{{ plain(1) }}|{{ plain(2, suffix='!') }}|{{ g.greet('Ana') }}|{{ g('Ana') }}|{{ escaped('<b>') }}"
    "|{% for item in [1, 2] %}{% set inner = item * 10 %}{{ looked_up('inner') }} {{ plain(item) }};{% endfor %}"
    "|{{ environment_named(3) }}|{{ exhausted() is undefined }}|{{ range(3)|list }}"
    "|{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(plain(4)) }}|{{ 'a-b'.split('-') }}|{{ {'k': 1}.get('k') }}"
    "|{{ cached(5) }}|{{ cached_environment_named(6) }}"
    # An included template that imports macros, and an import here: the imported macros see this template's globals.
    "|{% include 'part.html' %}|{% import 'macros.html' as m2 %}{{ m2.box(8) }}"
)


def rendered(context_class) -> str:
    env = Environment(
        autoescape=True,
        loader=DictLoader(
            {
                "macros.html": "{% macro box(x) %}<{{ x }} {{ extra }}>{% endmacro %}",
                "part.html": "{% from 'macros.html' import box %}{{ box(plain(7)) }}",
            }
        ),
    )
    env.context_class = context_class
    env.globals.update(
        plain=plain,
        escaped=escaped,
        looked_up=looked_up,
        environment_named=environment_named,
        exhausted=exhausted,
        cached=cached,
        cached_environment_named=cached_environment_named,
    )
    return env.from_string(TEMPLATE, globals={"extra": "a global of this template only"}).render(g=Greeter("Hello"))


def test_every_kind_of_callable_is_called_as_jinja_calls_it():
    jinja = rendered(Environment.context_class)
    assert rendered(Context) == jinja
    assert "inner=10" in jinja and "autoescape=True &lt;b&gt;" in jinja and "True" in jinja
    assert "<plain 7 >" in jinja and "<8 a global of this template only>" in jinja


def test_the_application_renders_with_it(app):
    assert app.jinja_env.context_class is Context
