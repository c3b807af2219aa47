"""The Graph tab: who may call which job family, drawn server-side as an inline SVG.

ESCs (boxes) stand in a left column, job families (ellipses) in columns to the right; an
arrow means "may call". ``static/graph.js`` makes nodes draggable and selectable; without
JavaScript the page is a static picture plus a list of nodes and edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from racetrack.dashboard.rendering import render
from racetrack.dashboard.session import PageUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.schemas_catalog import GraphNode, GraphNodeType, JobGraph
from racetrack.lifecycle.services.catalog import CatalogService

router = APIRouter()

ROW_HEIGHT = 70
MARGIN = 50
ESC_COLUMN_X = 120
COLUMN_GAP = 240
FAMILIES_PER_COLUMN = 8
BOX_HALF = (90.0, 20.0)  # ESC box: half width, half height
ELLIPSE_RADII = (90.0, 24.0)  # job family ellipse
LABEL_LENGTH = 22


@dataclass(frozen=True)
class PlacedNode:
    id: str
    kind: str  # "esc" or "family"
    title: str
    label: str
    subtitle_lines: list[str]
    x: float
    y: float


@dataclass(frozen=True)
class PlacedEdge:
    source: PlacedNode
    target: PlacedNode
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Layout:
    nodes: list[PlacedNode]
    edges: list[PlacedEdge]
    width: float
    height: float


def _label(title: str) -> str:
    name = title.split(": ", 1)[-1]
    return name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1] + "…"


def _boundary(node: PlacedNode, dx: float, dy: float) -> tuple[float, float]:
    """Where a line from the node's centre in direction (dx, dy) leaves its shape."""
    if dx == 0 and dy == 0:
        return node.x, node.y
    if node.kind == "esc":
        half_w, half_h = BOX_HALF
        t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    else:
        rx, ry = ELLIPSE_RADII
        t = 1 / math.sqrt((dx / rx) ** 2 + (dy / ry) ** 2)
    return node.x + dx * t, node.y + dy * t


def _place(node: GraphNode, x: float, y: float) -> PlacedNode:
    kind = "esc" if node.type == GraphNodeType.ESC else "family"
    lines = [line for line in node.subtitle.splitlines() if line.strip()]
    return PlacedNode(node.id, kind, node.title, _label(node.title), lines, x, y)


def layout(graph: JobGraph) -> Layout:
    """A deterministic layout: ESCs in the left column, families in columns of 8 to the right."""
    escs = [node for node in graph.nodes if node.type == GraphNodeType.ESC]
    families = [node for node in graph.nodes if node.type != GraphNodeType.ESC]
    placed: list[PlacedNode] = [
        _place(node, ESC_COLUMN_X, MARGIN + i * ROW_HEIGHT) for i, node in enumerate(escs)
    ]
    first_x = ESC_COLUMN_X + (COLUMN_GAP + 60 if escs else 0)
    per_column = max(FAMILIES_PER_COLUMN, math.ceil(len(escs) * 0.75))
    for i, node in enumerate(families):
        column, row = divmod(i, per_column)
        # shift odd columns half a row so that straight edges do not run through other nodes
        offset = ROW_HEIGHT / 2 if column % 2 else 0
        placed.append(_place(node, first_x + column * COLUMN_GAP, MARGIN + row * ROW_HEIGHT + offset))
    by_id = {node.id: node for node in placed}
    edges = []
    for edge in graph.edges:
        source, target = by_id.get(edge.from_id), by_id.get(edge.to_id)
        if source is None or target is None or source is target:
            continue
        dx, dy = target.x - source.x, target.y - source.y
        x1, y1 = _boundary(source, dx, dy)
        x2, y2 = _boundary(target, -dx, -dy)
        edges.append(PlacedEdge(source, target, x1, y1, x2, y2))
    width = max((node.x for node in placed), default=0) + 130
    height = max((node.y for node in placed), default=0) + MARGIN
    return Layout(placed, edges, max(width, 400), max(height, 120))


@router.get("/graph")
def graph(request: Request, user: PageUser, state: State) -> Response:
    """The dependencies graph of what the user may see (ESCs only for staff)."""
    data = CatalogService(state.db, state.settings).graph(user.subject)
    return render(
        request,
        "graph.html",
        title="Graph",
        layout=layout(data),
        box=BOX_HALF,
        radii=ELLIPSE_RADII,
    )
