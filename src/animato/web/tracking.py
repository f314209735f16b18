"""Tracking endpoints: the open pixel, click redirects, the online view and unsubscribing.

Every URL carries a signed token (:mod:`animato.tracking.tokens`); a forged or altered one gets
a 404 and records nothing. ``POST /u/{token}`` is the RFC 8058 one-click unsubscribe (and the
confirmation button of the page that ``GET /u/{token}`` shows): it works without a page view.
"""

from __future__ import annotations

import base64
import html

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from animato.engine.outbox import bodies
from animato.tracking.tokens import Token
from animato.web.service import Service

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_CACHE = {"Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache"}


def router(service: Service) -> APIRouter:
    """The tracking routes of a service."""
    api = APIRouter(tags=["tracking"])
    signer = service.tracker.signer

    def token(text: str, kind: str) -> Token:
        found = signer.parse(text)
        if found is None or found.kind != kind:
            raise HTTPException(404, "unknown link")
        return found

    @api.get("/o/{text}", summary="Open pixel", response_class=Response)
    async def opened(text: str) -> Response:
        """A 1×1 GIF; records an ``opened`` for the message."""
        found = signer.parse(text)
        if found is not None and found.kind == "o":
            service.recorder.hit(found.message_id, "opened")
        return Response(PIXEL, media_type="image/gif", headers=NO_CACHE)

    @api.get("/c/{text}", summary="Click redirect", status_code=302)
    async def clicked(text: str) -> RedirectResponse:
        """Records a ``clicked`` and redirects to the link the message contained."""
        found = token(text, "c")
        if not found.url.startswith(("https://", "http://")):
            raise HTTPException(404, "unknown link")
        service.recorder.hit(found.message_id, "clicked", found.url)
        return RedirectResponse(found.url, status_code=302, headers=NO_CACHE)

    @api.get("/v/{text}", summary="Online view", response_class=HTMLResponse)
    def viewed(text: str) -> HTMLResponse:
        """The email as it was sent."""
        found = token(text, "v")
        with service.recorder.lock:
            body = bodies(service.recorder.store, [found.message_id]).get(found.message_id)
        if body is None:
            row = service.recorder.message(found.message_id)
            if row is None:
                raise HTTPException(404, "unknown message")
            body = {"html": "", "text": ""}
        service.recorder.hit(found.message_id, "opened", "online view")
        return HTMLResponse(body["html"] or f"<pre>{html.escape(body['text'])}</pre>")

    @api.get("/u/{text}", summary="Unsubscribe page", response_class=HTMLResponse)
    async def unsubscribe_page(text: str) -> HTMLResponse:
        """A page asking to confirm (a link scanner's GET must not unsubscribe anyone)."""
        token(text, "u")
        return HTMLResponse(_PAGE.format(
            title="Se désinscrire",
            body='<form method="post"><p>Vous ne recevrez plus ces messages.</p>'
            '<button type="submit" name="List-Unsubscribe" value="One-Click">'
            "Confirmer la désinscription</button></form>",
        ))  # fmt: skip

    @api.post("/u/{text}", summary="Unsubscribe (RFC 8058 one-click)", response_class=HTMLResponse)
    def unsubscribe(text: str, request: Request) -> HTMLResponse:
        """Suppresses the customer on the message's channel at once."""
        found = token(text, "u")
        if not service.recorder.unsubscribe(found.message_id, "one-click"):
            raise HTTPException(404, "unknown message")
        return HTMLResponse(_PAGE.format(
            title="Désinscription enregistrée",
            body="<p>C'est fait : vous ne recevrez plus ces messages.</p>",
        ))  # fmt: skip

    return api


_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""
