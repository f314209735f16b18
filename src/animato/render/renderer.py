"""Rendering: a message's template filled in for its recipient, within Liquid's resource limits.

Templates are parsed once (and emails compiled once, see :mod:`animato.render.email`); each message
is then one Liquid render over plain data (dicts, lists, strings and numbers, never live Python
objects). A value the template needs and the data lacks is an error for that message only, as is a
template that loops too long or writes too much: :class:`Rendered` then carries the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from liquid import BoundTemplate, Undefined
from liquid.exceptions import LiquidError, ResourceLimitError, UndefinedError

from animato.plan.model import Plan
from animato.plan.templates import SandboxedEnvironment, TemplateSource, discover
from animato.render.email import compile_email
from animato.render.sms import measure, transliterate


class Missing(Undefined):
    """A value the data lacks: false in an ``if``, empty in a ``for``, an error when output
    (unless a ``default`` filter supplies one).
    """

    def __str__(self) -> str:
        raise UndefinedError(self.hint or f"'{self.name}' is undefined", token=self.token)


HTML = SandboxedEnvironment(autoescape=True, undefined=Missing)
TEXT = SandboxedEnvironment(undefined=Missing)


@dataclass(frozen=True)
class Rendered:
    """A message ready for delivery, or the reason it could not be rendered (``error``)."""

    subject: str | None = None
    html: str | None = None
    text: str | None = None
    sms_encoding: str | None = None
    sms_segments: int | None = None
    fields: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Email:
    subject: BoundTemplate
    preheader: BoundTemplate
    html: BoundTemplate
    text: BoundTemplate


class Renderer:
    """The plan's templates, parsed once, and how to fill one in for one message."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        folder = plan.folder / "templates" if plan.folder else None
        self.sources: dict[str, TemplateSource] = discover(folder) if folder else {}
        self._emails: dict[str, _Email | str] = {}
        self._texts: dict[str, BoundTemplate | str] = {}
        sms = plan.conventions.senders.get("sms")
        self.transliterate = bool(sms and sms.transliterate)

    def render(
        self, channel: str, template: str, data: dict[str, Any], *, subject: str | None = None
    ) -> Rendered:
        """The message on ``channel`` from ``template`` and the recipient's ``data``; an email's
        ``subject`` (Liquid) replaces the template's when given (an A/B variant's).
        """
        try:
            if channel == "email":
                return self._email(template, data, subject)
            body = self._text(template).render(**data)
        except ResourceLimitError as exc:
            return Rendered(error=f"template_limit: {_first_line(exc)}")
        except UndefinedError as exc:  # degraded mode: this customer lacks a field it reads
            text = _first_line(exc)
            if text.startswith("customer.") and text.endswith(" is undefined"):
                return Rendered(error=f"missing_data: {text.removesuffix(' is undefined')}")
            return Rendered(error=f"template_error: {text}")
        except (LiquidError, _Unusable) as exc:
            return Rendered(error=f"template_error: {_first_line(exc)}")
        if channel in ("sms", "push"):
            text = transliterate(body) if self.transliterate and channel == "sms" else body
            text = text.strip()
            sms = measure(text)
            return Rendered(text=text, sms_encoding=sms.encoding, sms_segments=sms.segments)
        fields = _fields(data.get("customer", {}), channel)
        return Rendered(text=body, fields=json.dumps(fields, ensure_ascii=False, default=str))

    def _email(self, template: str, data: dict[str, Any], subject: str | None = None) -> Rendered:
        email = self._emails.get(template)
        if email is None:
            email = self._emails[template] = self._compile_email(template)
        if isinstance(email, str):
            raise _Unusable(email)
        heading = email.subject if subject is None else self._subject(subject)
        subject = heading.render(**data).strip()
        html = email.html.render(**data)
        text = "\n".join(line.rstrip() for line in email.text.render(**data).splitlines())
        return Rendered(subject=subject, html=html, text=text)

    def _compile_email(self, template: str) -> _Email | str:
        source = self.sources.get(template)
        if source is None:
            return f"no template '{template}'"
        try:
            compiled = compile_email(source)
            return _Email(
                TEXT.from_string(compiled.subject),
                TEXT.from_string(compiled.preheader),
                HTML.from_string(compiled.html),
                TEXT.from_string(compiled.text),
            )
        except (LiquidError, ValueError) as exc:  # mjml raises ValueError on bad markup
            return f"template '{template}' does not compile: {_first_line(exc)}"

    def _subject(self, text: str) -> BoundTemplate:
        """A variant's subject line, parsed once."""
        key = f"subject:{text}"
        found = self._texts.get(key)
        if found is None:
            try:
                found = TEXT.from_string(text)
            except LiquidError as exc:
                found = f"subject '{text}' does not parse: {_first_line(exc)}"
            self._texts[key] = found
        if isinstance(found, str):
            raise _Unusable(found)
        return found

    def _text(self, template: str) -> BoundTemplate:
        found = self._texts.get(template)
        if found is None:
            source = self.sources.get(template)
            try:
                found = TEXT.from_string(source.body) if source else f"no template '{template}'"
            except LiquidError as exc:
                found = f"template '{template}' does not parse: {_first_line(exc)}"
            self._texts[template] = found
        if isinstance(found, str):
            raise _Unusable(found)
        return found


class _Unusable(Exception):
    """A template that cannot be used at all (missing, or does not parse)."""


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# What a call centre or a mail house needs besides the text: who, and how to reach them.
_CALL = ("customer_id", "first_name", "last_name", "phone", "timezone", "preferred_store")
_POSTAL = ("customer_id", "first_name", "last_name", "gender", "address", "address_line",
           "address_2", "postal_code", "zip", "city", "country")  # fmt: skip


def _fields(customer: dict[str, Any], channel: str) -> dict[str, Any]:
    wanted = _CALL if channel == "call" else _POSTAL
    return {k: customer[k] for k in wanted if customer.get(k) is not None}
