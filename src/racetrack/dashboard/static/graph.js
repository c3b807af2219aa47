// The dependencies graph: drag nodes (edges follow), click a node to highlight it and its
// neighbours and show its details, click the background (or press Escape) to reset.
// "Enable physics" runs a force layout (Fruchterman-Reingold: nodes repel, edges attract,
// a weak pull to the centre) that cools down and settles; a dragged node stays where it is put.
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

    var view = svg.viewBox.baseVal, SPACING = 170, physics = null;

    function moveTo(node, x, y) {
      node.x = Math.min(Math.max(x, BOX[0] + 4), view.width - BOX[0] - 4);
      node.y = Math.min(Math.max(y, BOX[1] + 4), view.height - BOX[1] - 4);
      node.el.setAttribute("transform", "translate(" + node.x + "," + node.y + ")");
    }

    function step() {
      if (!physics) return;
      var ids = Object.keys(nodes), push = {};
      ids.forEach(function (id) { push[id] = [0, 0]; });
      for (var i = 0; i < ids.length; i++) {
        for (var j = i + 1; j < ids.length; j++) {
          var a = nodes[ids[i]], b = nodes[ids[j]];
          var dx = a.x - b.x, dy = a.y - b.y, d = Math.max(Math.sqrt(dx * dx + dy * dy), 1);
          if (d < 1.5) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; }
          var f = SPACING * SPACING / d;
          push[ids[i]][0] += dx / d * f; push[ids[i]][1] += dy / d * f;
          push[ids[j]][0] -= dx / d * f; push[ids[j]][1] -= dy / d * f;
        }
      }
      edges.forEach(function (line) {
        var from = line.getAttribute("data-from"), to = line.getAttribute("data-to");
        var a = nodes[from], b = nodes[to];
        if (!a || !b || a === b) return;
        var dx = b.x - a.x, dy = b.y - a.y, d = Math.max(Math.sqrt(dx * dx + dy * dy), 1), f = d * d / SPACING;
        push[from][0] += dx / d * f; push[from][1] += dy / d * f;
        push[to][0] -= dx / d * f; push[to][1] -= dy / d * f;
      });
      ids.forEach(function (id) {
        var node = nodes[id];
        if (drag && drag.node === node) return;
        var fx = push[id][0] + (view.width / 2 - node.x) * 0.05, fy = push[id][1] + (view.height / 2 - node.y) * 0.05;
        var size = Math.sqrt(fx * fx + fy * fy);
        if (size < 0.01) return;
        var moved = Math.min(size, physics.temperature);
        moveTo(node, node.x + fx / size * moved, node.y + fy / size * moved);
      });
      edges.forEach(drawEdge);
      physics.temperature *= 0.97;
      physics.frame = physics.temperature > 0.05 ? window.requestAnimationFrame(step) : 0;  // settled
    }

    function heat(temperature) {
      physics.temperature = Math.max(physics.temperature, temperature);
      if (!physics.frame) physics.frame = window.requestAnimationFrame(step);
    }

    function setPhysics(on) {
      if (on && !physics) {
        physics = { temperature: 0, frame: 0 };
        heat(30);
      } else if (!on && physics) {
        window.cancelAnimationFrame(physics.frame);
        physics = null;
      }
    }
    var toggle = document.getElementById("graph-physics");
    if (toggle) {
      toggle.checked = false;
      toggle.addEventListener("change", function () { setPhysics(toggle.checked); });
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
      moveTo(node, p.x - drag.dx, p.y - drag.dy);
      if (physics) heat(10);
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
