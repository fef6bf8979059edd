"""The agent API: claim, answer and release human-routed messages (JSON over POST).

`POST /agent/claim {"agent": A}` hands A the oldest message of the best priority (200) or says
none waits (204). `POST /agent/answer {"agent": A, "id": N, "text": T}` resolves a message A
holds and queues T for the customer-service API; `POST /agent/release {"agent": A, "id": N}`
puts it back. Both answer 409 if A does not hold N. Claims are writer jobs, so they are
exclusive across processes.

Credentials (`Authorization: Bearer <token>`), never the callback token (the account's secret
shared with the platform: whoever holds it can forge callbacks, and it must not also let them
claim and answer fans' messages): a per-agent token (`--agent-token ann=T`) binds the
identity, so the caller is ann whatever the body says (a body naming another agent is refused
403); a team token (`--agents-token T`) admits any name the caller gives (simulated teams, the
load replay). With neither the agent API is off: every call is refused 403 (`agents_off`)
saying which flags turn it on.
"""

from __future__ import annotations

import functools
import hmac
import json
import time
from dataclasses import asdict

from loadtests.backend import store
from loadtests.backend.asgi import (
    Receive,
    Response,
    Scope,
    header,
    json_response,
    read_body,
)
from loadtests.backend.config import BackendConfig
from loadtests.backend.metrics import Metrics
from loadtests.backend.writer import GroupCommitWriter
from loadtests.wechat.protocol import ProtocolError

__all__ = ["AgentApi"]

_MAX_BODY = 16_384
_OFF = "the agent API is off: start the back end with --agents-token or --agent-token NAME=TOKEN"


def _field(payload: dict[str, object], name: str, kind: type) -> object:
    value = payload.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) or value in ("", None):
        raise ProtocolError(
            400, f"{name}: must be a non-empty {kind.__name__} (got {value!r})", "bad_agent_call"
        )
    return value


class AgentApi:
    """Handles `/agent/<action>` for one worker process."""

    def __init__(self, writer: GroupCommitWriter, config: BackendConfig, metrics: Metrics) -> None:
        self._writer = writer
        self._named = [
            (b"Bearer " + token.encode(), name)
            for token, name in config.agent_credentials().items()
        ]
        team = config.agents_token
        self._team = None if team is None else b"Bearer " + team.encode()
        self._off = team is None and not self._named
        self._metrics = metrics

    def _caller(self, scope: Scope) -> str | None:
        """The agent a per-agent token names, "" for the team token; 401 for neither.

        Every token is compared in constant time, without stopping at a match.
        """
        given = header(scope, b"authorization") or b""
        named = None
        for secret, name in self._named:
            if hmac.compare_digest(given, secret):
                named = name
        if named is not None:
            return named
        if self._team is not None and hmac.compare_digest(given, self._team):
            return None
        raise ProtocolError(
            401, "missing or wrong Authorization: Bearer <agent token>", "unauthorized"
        )

    async def handle(self, action: str, scope: Scope, receive: Receive) -> Response:
        """One agent call; ProtocolError for bad requests."""
        if self._off:
            raise ProtocolError(403, _OFF, "agents_off")
        bound = self._caller(scope)
        try:
            payload = json.loads(await read_body(scope, receive, _MAX_BODY) or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProtocolError(400, "body is not JSON", "bad_agent_call") from None
        if not isinstance(payload, dict):
            raise ProtocolError(400, "body must be a JSON object", "bad_agent_call")
        if bound is None:
            agent = str(_field(payload, "agent", str))
        else:
            agent = bound
            if payload.get("agent", bound) != bound:
                raise ProtocolError(403, f"this token is agent {bound}'s", "wrong_agent")
        now = time.time()
        if action == "claim":
            got = await self._writer.submit(functools.partial(store.claim, agent=agent, now=now))
            if got is None:
                return Response(204, b"", b"text/plain", "204")
            return json_response(200, asdict(got), "200")
        message_id = int(str(_field(payload, "id", int)))
        if action == "release":
            ok = await self._writer.submit(
                functools.partial(store.release, agent=agent, message_id=message_id, now=now)
            )
            return self._held(ok, agent, message_id, {})
        if action == "answer":
            text = str(_field(payload, "text", str))
            outbox = await self._writer.submit(
                functools.partial(
                    store.answer, agent=agent, message_id=message_id, text=text, now=now
                )
            )
            if outbox is not None:
                self._metrics.answered_agent.inc()
            return self._held(outbox is not None, agent, message_id, {"outbox": outbox})
        raise ProtocolError(
            404, f"no agent action {action!r} (claim, answer, release)", "not_found"
        )

    @staticmethod
    def _held(ok: bool, agent: str, message_id: int, payload: dict[str, object]) -> Response:
        if ok:
            return json_response(200, payload, "200")
        return json_response(
            409, {"error": f"message {message_id} is not claimed by {agent}"}, "409"
        )
