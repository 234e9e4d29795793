"""Register, login, logout."""

from __future__ import annotations

from fastapi import APIRouter, Response

from modern.api.deps import CurrentUser, ServicesDep, Token
from modern.api.replies import no_content, reply
from modern.schemas import AuthReply, LoginRequest, RegisterRequest

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/register", status_code=201, responses={201: {"model": AuthReply}})
def register(body: RegisterRequest, svc: ServicesDep) -> Response:
    user, token = svc.auth.register(body.username, body.password, body.display_name)
    return reply({"user": user, "token": token}, status=201)


@router.post("/login", responses={200: {"model": AuthReply}})
def login(body: LoginRequest, svc: ServicesDep) -> Response:
    user, token = svc.auth.login(body.username, body.password)
    return reply({"user": user, "token": token})


@router.post("/logout", status_code=204)
def logout(_: CurrentUser, token: Token, svc: ServicesDep) -> Response:
    svc.auth.logout(token or "")
    return no_content()
