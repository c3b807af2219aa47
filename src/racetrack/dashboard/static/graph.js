// The dependencies graph: drag nodes (edges follow), click a node to highlight it and its
// neighbours and show its details, click the background (or press Escape) to reset.
(function () {
  "use strict";
  var BOX = [90, 20], RADII = [90, 24];

  function start() {
    var svg = document.getElementById("graph");
    if (!svg) return;
    var nodes = {}, edges = Array.prototype.slice.call(svg.querySelectorAll("line.edge"));
    svg.querySelectorAll("g.node").forEach(function (el) {
      var m = /translate\(([-\d.]+),\s*([-\d.]+)\)/.exec(el.getAttribute("transform"));
      nodes[el.getAttribute("data-id")] = { el: el, x: parseFloat(m[1]), y: parseFloat(m[2]), kind: el.getAttribute("data-kind") };
    });
    var panel = document.getElementById("graph-details");
    var selected = null;

    function boundary(node, dx, dy) {
      if (!dx && !dy) return [node.x, node.y];
      var t;
      if (node.kind === "esc") {
        t = Math.min(dx ? BOX[0] / Math.abs(dx) : Infinity, dy ? BOX[1] / Math.abs(dy) : Infinity);
      } else {
        t = 1 / Math.sqrt(Math.pow(dx / RADII[0], 2) + Math.pow(dy / RADII[1], 2));
      }
      return [node.x + dx * t, node.y + dy * t];
    }

    function drawEdge(line) {
      var a = nodes[line.getAttribute("data-from")], b = nodes[line.getAttribute("data-to")];
      if (!a || !b) return;
      var dx = b.x - a.x, dy = b.y - a.y, p = boundary(a, dx, dy), q = boundary(b, -dx, -dy);
      line.setAttribute("x1", p[0]); line.setAttribute("y1", p[1]);
      line.setAttribute("x2", q[0]); line.setAttribute("y2", q[1]);
    }

    function toSvg(event) {
      var point = svg.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      return point.matrixTransform(svg.getScreenCTM().inverse());
    }

    function addLine(list, text) {
      var li = document.createElement("li");
      var parts = text.split(/(https?:\/\/\S+)/);
      parts.forEach(function (part) {
        if (/^https?:\/\//.test(part)) {
          var a = document.createElement("a");
          a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener";
          li.appendChild(a);
        } else if (part) {
          li.appendChild(document.createTextNode(part));
        }
      });
      list.appendChild(li);
    }

    function select(id) {
      selected = id;
      var neighbours = {};
      neighbours[id] = true;
      edges.forEach(function (line) {
        var from = line.getAttribute("data-from"), to = line.getAttribute("data-to");
        var touches = from === id || to === id;
        if (touches) { neighbours[from] = true; neighbours[to] = true; }
        line.classList.toggle("dimmed", !touches);
        line.classList.toggle("highlighted", touches);
      });
      Object.keys(nodes).forEach(function (key) {
        nodes[key].el.classList.toggle("dimmed", !neighbours[key]);
        nodes[key].el.classList.toggle("selected", key === id);
      });
      var el = nodes[id].el;
      document.getElementById("graph-details-title").textContent = el.getAttribute("data-title");
      var list = document.getElementById("graph-details-lines");
      list.textContent = "";
      (el.getAttribute("data-subtitle") || "").split("\n").forEach(function (line) {
        if (line.trim()) addLine(list, line);
      });
      panel.hidden = false;
    }

    function reset() {
      selected = null;
      svg.querySelectorAll(".dimmed, .selected, .highlighted").forEach(function (el) {
        el.classList.remove("dimmed", "selected", "highlighted");
      });
      panel.hidden = true;
    }

    var drag = null;
    svg.addEventListener("pointerdown", function (event) {
      var el = event.target.closest("g.node");
      if (!el) return;
      var node = nodes[el.getAttribute("data-id")], p = toSvg(event);
      drag = { node: node, dx: p.x - node.x, dy: p.y - node.y, moved: false, sx: event.clientX, sy: event.clientY };
      el.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag) return;
      if (Math.abs(event.clientX - drag.sx) + Math.abs(event.clientY - drag.sy) > 3) drag.moved = true;
      if (!drag.moved) return;
      var p = toSvg(event), node = drag.node;
      node.x = p.x - drag.dx; node.y = p.y - drag.dy;
      node.el.setAttribute("transform", "translate(" + node.x + "," + node.y + ")");
      var id = node.el.getAttribute("data-id");
      edges.forEach(function (line) {
        if (line.getAttribute("data-from") === id || line.getAttribute("data-to") === id) drawEdge(line);
      });
    });
    svg.addEventListener("pointerup", function (event) {
      if (drag) {
        var wasClick = !drag.moved, id = drag.node.el.getAttribute("data-id");
        drag = null;
        if (wasClick) select(id);
        return;
      }
      if (!event.target.closest("g.node")) reset();
    });
    svg.addEventListener("keydown", function (event) {
      var el = event.target.closest && event.target.closest("g.node");
      if (el && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        select(el.getAttribute("data-id"));
      } else if (event.key === "Escape") {
        reset();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && selected) reset();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
