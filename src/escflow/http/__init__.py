"""``escflow serve``: the HTTP API on the same engine and store as the Python API.

:func:`create_app` makes the ASGI application on a :class:`Service` (the store, the flows
and the engine over them); :func:`serve` runs it with uvicorn. FastAPI is confined to
this package, uvicorn to ``_server.py``.
"""

from escflow.http._app import API, MAX_BODY, create_app, openapi_text
from escflow.http._auth import ROLES, TOKENS_VARIABLE, Principal, Tokens, check_listening
from escflow.http._problems import STATUS
from escflow.http._server import bind, run, serving
from escflow.http._service import Loaded, Reloaded, Service, load_flows

__all__ = [
    "API",
    "MAX_BODY",
    "ROLES",
    "STATUS",
    "TOKENS_VARIABLE",
    "Loaded",
    "Principal",
    "Reloaded",
    "Service",
    "Tokens",
    "bind",
    "check_listening",
    "create_app",
    "load_flows",
    "openapi_text",
    "run",
    "serving",
]
