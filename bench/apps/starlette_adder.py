"""The raw reference: one Starlette route serving an entrypoint class's ``perform``, nothing else.

Run with uvicorn on uvloop + httptools, e.g.::

    BENCH_ENTRYPOINT=samples/python-class/adder.py BENCH_CLASS=AdderModel \\
    .venv/bin/python -m uvicorn bench.apps.starlette_adder:app --loop uvloop --http httptools
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


def load_entrypoint(path: str, class_name: str) -> Any:
    spec = importlib.util.spec_from_file_location("bench_entrypoint", Path(path).resolve())
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, class_name)()


entrypoint = load_entrypoint(os.environ["BENCH_ENTRYPOINT"], os.environ["BENCH_CLASS"])


async def perform(request: Request) -> JSONResponse:
    payload = await request.json()
    return JSONResponse(entrypoint.perform(**payload))


async def live(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/api/v1/perform", perform, methods=["POST"]), Route("/live", live)])
