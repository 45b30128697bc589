"""Reminder texts: Jinja2 templates shipped in chalicelib/templates/email/<locale>/, amounts and dates by Babel.

Jinja2 and Babel are imported on first use, so routes that never render pay nothing for them.
HTML is autoescaped; every template variable must exist (StrictUndefined), so a missing value fails
loudly in tests instead of sending "Dear ," to a customer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from chalicelib.domain.money import currency_exponent
from chalicelib.ports import RenderError

__all__ = ["RenderError", "Rendered", "Templates", "long_date", "money"]

ROOT = Path(__file__).resolve().parent.parent / "templates" / "email"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def money(amount: int, currency: str, locale: str) -> str:
    from babel.numbers import format_currency

    value = Decimal(amount).scaleb(-currency_exponent(currency))
    return str(format_currency(value, currency, locale=locale))


def long_date(day: date, locale: str) -> str:
    from babel.dates import format_date

    return str(format_date(day, format="long", locale=locale))


class Templates:
    def __init__(self, root: Path = ROOT) -> None:
        self._root = root
        self._env: Any = None

    def _jinja(self) -> Any:
        if self._env is None:
            import jinja2

            self._env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(self._root)),
                autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
                undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=False,
            )
        return self._env

    def context(self, model: dict[str, Any], locale: str) -> dict[str, Any]:
        """The model's raw values (int minor units, dates) formatted for the reader's locale."""
        if "balance" not in model:  # not about one case (the broker's digest): formatted by its service
            return {**model, "locale": locale}
        currency = model["currency"]
        balance = model["balance"]
        parts = ("principal", "fees", "interest", "discount", "paid", "due")
        context = dict(model)
        context.update(
            locale=locale,
            due_date=long_date(model["due_on"], locale),
            amounts={k: money(balance[k], currency, locale) for k in parts},
            show={k: balance[k] > 0 for k in ("fees", "interest", "discount", "paid")},
            discount_offer=model.get("discount") is not None,
            discount_amount=money(model["discount"][0], currency, locale) if model.get("discount") else "",
            discount_deadline=long_date(model["discount"][1], locale) if model.get("discount") else "",
        )
        return context

    def email(self, locale: str, template: str, model: dict[str, Any]) -> Rendered:
        import jinja2

        env = self._jinja()
        try:
            context = self.context(model, locale)
            text_template = env.get_template(f"{locale}/{template}.txt")
            subject = "".join(text_template.blocks["subject"](text_template.new_context(context)))
            return Rendered(subject=" ".join(subject.split()), text=text_template.render(context),
                            html=env.get_template(f"{locale}/{template}.html").render(context))
        except (jinja2.TemplateError, LookupError, ValueError) as exc:
            raise RenderError(f"{locale}/{template}: {exc}") from exc

    def sms(self, locale: str, model: dict[str, Any]) -> str:
        import jinja2

        try:
            return str(self._jinja().get_template(f"{locale}/sms.txt").render(self.context(model, locale))).strip()
        except (jinja2.TemplateError, LookupError, ValueError) as exc:
            raise RenderError(f"{locale}/sms: {exc}") from exc
