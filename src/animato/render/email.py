"""An email template compiled once per template version: MJML → HTML (mjml-python, a Rust port
of MJML), CSS inlined (css-inline), a text part derived from it (html2text); the Liquid tags in it
survive both steps and are rendered per recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import css_inline
import html2text
import mjml

from animato.plan.templates import TemplateSource


@dataclass(frozen=True)
class EmailSource:
    """The Liquid sources of an email: subject, preheader, HTML body and text part."""

    subject: str
    preheader: str
    html: str
    text: str


def compile_email(source: TemplateSource) -> EmailSource:
    """Compile an email template's body once (MJML to HTML, CSS inlined, text part)."""
    html = mjml.mjml2html(source.body) if source.extension == "mjml" else source.body
    # (never fetch a remote stylesheet: MJML links web fonts, and nothing downloads at run time)
    html = css_inline.inline(html, keep_style_tags=True, load_remote_stylesheets=False)
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_tables = True
    converter.ignore_emphasis = True
    converter.ignore_images = True
    text = converter.handle(html).strip() + "\n"
    preheader = source.matter.get("preheader", "")
    if preheader:  # the line inboxes show after the subject, hidden in the message itself
        hidden = f'<div style="display:none;max-height:0;overflow:hidden">{preheader}</div>'
        html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + hidden, html, count=1)
    return EmailSource(
        subject=source.matter.get("subject", ""),
        preheader=preheader,
        html=html,
        text=text,
    )
