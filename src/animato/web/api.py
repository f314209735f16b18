"""The HTTP API: customers, consents, events and suppressions in (single or batch), provider
feedback and SMS replies, a customer's data out or erased (privacy), behind a bearer token
(``ANIMATO_API_TOKEN``).

``POST /v1/{kind}`` takes one JSON object or an array of them (at most :data:`MAX_RECORDS`,
:data:`MAX_BYTES` bytes). Records are checked against the data contract exactly as a file
would be: an invalid record is quarantined with its reason and listed in the answer
(``rejected``: index and reason) while the others load. A body that is not JSON is a 400, an
oversized one a 413; then nothing is stored.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from animato.errors import StoreError
from animato.privacy import access, erasure
from animato.web.service import Service

MAX_BYTES = 10_000_000
MAX_RECORDS = 10_000
Kind = Literal["customers", "events", "consents", "suppressions"]


class Rejected(BaseModel):
    """A record of a batch that was not loaded."""

    index: int = Field(description="Position of the record in the batch (0-based).")
    reason: str = Field(description="Why, as in file quarantine (bad_email, unknown_event_type…).")


class IngestAnswer(BaseModel):
    """What became of a posted batch."""

    received: int
    accepted: int = Field(description="Loaded, or already known (a re-post adds nothing).")
    rejected: list[Rejected]


class Feedback(BaseModel):
    """A provider's report about a message it was given."""

    message_id: str
    kind: Literal["delivered", "bounced", "complained", "opened", "clicked", "unsubscribed"]
    detail: str = ""
    permanent: bool = Field(False, description="A hard bounce (suppresses the address).")


class Reply(BaseModel):
    """An SMS sent back by a customer (STOP, ARRET… unsubscribes the number)."""

    sender: str = Field(alias="from", description="The customer's number, E.164.")
    text: str


def router(service: Service) -> APIRouter:
    """The authenticated API routes of a service."""
    bearer = HTTPBearer(auto_error=False)

    def authenticated(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
    ) -> None:
        expected = service.settings.api_token
        given = credentials.credentials if credentials else ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "missing or wrong API token",
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip

    api = APIRouter(prefix="/v1", dependencies=[Depends(authenticated)])
    # (the fixed paths first: /v1/{kind} would take /v1/feedback)

    @api.post("/feedback", tags=["delivery"], status_code=202)
    def feedback(report: Feedback) -> dict[str, bool]:
        """A delivery report, bounce or complaint from a provider (complaints and hard bounces
        suppress the address at once).
        """
        if not service.recorder.feedback(report.message_id, report.kind, report.detail,
                                         report.permanent):  # fmt: skip
            raise HTTPException(404, "unknown message")
        return {"recorded": True}

    @api.post("/sms/replies", tags=["delivery"])
    def reply(message: Reply) -> dict[str, list[str]]:
        """An SMS reply forwarded by the provider: STOP unsubscribes that number from SMS."""
        return {"unsubscribed": service.recorder.stop_reply(message.sender, message.text)}

    @api.get("/privacy/customers/{customer_id}", tags=["privacy"],
             responses={404: {"description": "unknown customer"}})  # fmt: skip
    def export(customer_id: str) -> dict[str, Any]:
        """Everything animato holds about a customer (right of access); logged."""
        with service.privacy_lock:
            try:
                return access.export(service.privacy, customer_id, actor="api")
            except StoreError as exc:
                raise HTTPException(404, str(exc)) from None

    @api.delete("/privacy/customers/{customer_id}", tags=["privacy"],
                responses={404: {"description": "unknown customer"}})  # fmt: skip
    def erase(customer_id: str) -> dict[str, Any]:
        """Erase a customer's personal data everywhere; KPI rows stay pseudonymised and a later
        import stays suppressed; logged. The store file keeps the freed bytes until
        ``animato privacy erase`` or ``purge`` compacts it with the service stopped.
        """
        with service.privacy_lock:
            try:
                done = erasure.erase(service.privacy, [customer_id], actor="api")
            except StoreError as exc:
                raise HTTPException(404, str(exc)) from None
        return {"erased": done.customers, "rows": done.rows, "files": len(done.files)}

    @api.post("/{kind}", tags=["ingestion"], response_model=IngestAnswer,
              responses={400: {"description": "not JSON"}, 413: {"description": "too large"},
                         422: {"description": "a single record that was rejected"}})  # fmt: skip
    async def ingest(kind: Kind, request: Request) -> IngestAnswer:
        """Load one record (a JSON object) or a batch (an array) of ``kind``."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
            raise HTTPException(413, f"body over {MAX_BYTES} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BYTES:
                raise HTTPException(413, f"body over {MAX_BYTES} bytes")
        try:
            parsed: Any = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPException(400, f"not JSON: {exc}") from None
        single = isinstance(parsed, dict)
        records = [parsed] if single else parsed
        if not isinstance(records, list):
            raise HTTPException(400, "expected a JSON object or an array of objects")
        if len(records) > MAX_RECORDS:
            raise HTTPException(413, f"over {MAX_RECORDS} records in one batch")
        if not records:
            return IngestAnswer(received=0, accepted=0, rejected=[])
        try:
            done = await asyncio.wrap_future(service.batcher.submit(kind, records))
        except StoreError as exc:  # e.g. no record has a column the kind requires
            raise HTTPException(422, str(exc)) from None
        rejected = [Rejected(**r) for r in done.rejected]
        if single and rejected:
            raise HTTPException(422, f"rejected: {rejected[0].reason}")
        return IngestAnswer(received=done.received, accepted=done.accepted, rejected=rejected)

    return api
