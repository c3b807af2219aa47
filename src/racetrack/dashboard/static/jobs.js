// Jobs, logs and deployments pages: live updates over server-sent events, the tree's
// collapse/expand/clear buttons, the logs dialog and following runtime logs.
(function () {
  "use strict";
  var events = null;

  function stamp() {
    document.querySelectorAll(".tree-updated").forEach(function (el) {
      el.textContent = "last update " + new Date().toLocaleTimeString();
    });
  }

  function liveUrl(el) {
    var url = el.getAttribute("data-live-url");
    var form = document.getElementById("jobs-filter");
    if (el.id === "jobs-tree" && form) {
      url += "?" + new URLSearchParams(new FormData(form)).toString();
    }
    return url;
  }

  function refresh() {
    document.querySelectorAll("[data-live-url]").forEach(function (el) {
      if (el.id) htmx.ajax("GET", liveUrl(el), { target: "#" + el.id, swap: "outerHTML" });
    });
  }

  // choices remembered in this browser (storage may be unavailable, e.g. in private mode)
  function recall(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function remember(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* not remembered */ }
  }

  // "Live updates" (on unless the user turned it off)
  var LIVE_KEY = "jobs.autoUpdateEnabled";
  function liveWanted() { return recall(LIVE_KEY) !== "false"; }

  // one EventSource per page; on "changed" every [data-live-url] element re-fetches itself
  // after a random 0-750 ms delay (spreads the load of many open dashboards)
  function connect() {
    var live = document.querySelector("[data-live-url][data-events]");
    if (!live || events || !window.EventSource || !liveWanted()) return;
    events = new EventSource(live.getAttribute("data-events"));
    events.addEventListener("changed", function () {
      setTimeout(refresh, Math.random() * 750);
    });
  }
  function disconnect() { if (events) { events.close(); events = null; } }
  window.addEventListener("pagehide", disconnect);

  document.addEventListener("change", function (event) {
    if (event.target.id !== "jobs-live") return;
    remember(LIVE_KEY, event.target.checked ? "true" : "false");
    if (event.target.checked) { connect(); refresh(); } else { disconnect(); }
  });

  // the splitter between the jobs list and the details: drag it or use the arrow keys
  var WIDTH_KEY = "jobs.treeWidth", MIN_WIDTH = 220;
  function setTreeWidth(px, save) {
    var layout = document.querySelector(".jobs-layout"), splitter = document.getElementById("jobs-splitter");
    if (!layout || !splitter) return;
    var max = Math.max(MIN_WIDTH, layout.clientWidth - 320);
    px = Math.round(Math.min(Math.max(px, MIN_WIDTH), max));
    layout.style.setProperty("--tree-width", px + "px");
    splitter.setAttribute("aria-valuenow", String(px));
    splitter.setAttribute("aria-valuemin", String(MIN_WIDTH));
    splitter.setAttribute("aria-valuemax", String(max));
    if (save) remember(WIDTH_KEY, String(px));
  }
  function treeWidth() {
    var pane = document.querySelector(".jobs-tree-pane");
    return pane ? pane.getBoundingClientRect().width : MIN_WIDTH;
  }
  function startSplitter() {
    var splitter = document.getElementById("jobs-splitter");
    if (!splitter) return;
    var saved = recall(WIDTH_KEY);
    if (saved) setTreeWidth(parseFloat(saved), false);
    else splitter.setAttribute("aria-valuenow", String(Math.round(treeWidth())));
    var drag = null;
    splitter.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX, width: treeWidth() };
      splitter.setPointerCapture(event.pointerId);
      splitter.classList.add("dragging");
      event.preventDefault();
    });
    splitter.addEventListener("pointermove", function (event) {
      if (drag) setTreeWidth(drag.width + event.clientX - drag.x, false);
    });
    splitter.addEventListener("pointerup", function () {
      if (!drag) return;
      drag = null;
      splitter.classList.remove("dragging");
      setTreeWidth(treeWidth(), true);
    });
    splitter.addEventListener("keydown", function (event) {
      var step = event.shiftKey ? 80 : 20;
      if (event.key === "ArrowLeft") setTreeWidth(treeWidth() - step, true);
      else if (event.key === "ArrowRight") setTreeWidth(treeWidth() + step, true);
      else return;
      event.preventDefault();
    });
  }

  // keep collapsed families collapsed when the tree is replaced
  var collapsed = {};
  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (el.matches && el.matches("details[data-family]")) {
      if (el.open) delete collapsed[el.getAttribute("data-family")];
      else collapsed[el.getAttribute("data-family")] = true;
    }
  }, true);
  function restoreCollapsed(root) {
    root.querySelectorAll("details[data-family]").forEach(function (el) {
      if (collapsed[el.getAttribute("data-family")]) el.open = false;
    });
  }

  var follower = null;
  function stopFollowing() { if (follower) { follower.close(); follower = null; } }
  function follow(pre) {
    stopFollowing();
    var url = pre.getAttribute("data-stream");
    if (!url || !window.EventSource) return;
    follower = new EventSource(url);
    follower.addEventListener("line", function (event) {
      var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.appendChild(document.createTextNode(event.data + "\n"));
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    });
    follower.addEventListener("end", stopFollowing);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tree]");
    if (button) {
      var open = button.getAttribute("data-tree") === "expand";
      document.querySelectorAll("#jobs-tree details[data-family]").forEach(function (el) { el.open = open; });
      return;
    }
    if (event.target.closest("#jobs-clear")) {
      var input = document.getElementById("jobs-q");
      input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.focus();
      return;
    }
    if (event.target.closest(".dialog-close")) {
      var dialog = event.target.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    var menu = event.target.closest("details.menu");
    document.querySelectorAll("details.menu[open]").forEach(function (el) { if (el !== menu) el.open = false; });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "logs-dialog-body") {
      var dialog = document.getElementById("logs-dialog");
      if (!dialog.open) dialog.showModal();
      var pre = target.querySelector("pre[data-stream]");
      if (pre) follow(pre); else stopFollowing();
      var logs = target.querySelector("pre.logs");
      if (logs) logs.scrollTop = logs.scrollHeight;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var tree = document.getElementById("jobs-tree");
    if (tree && (event.detail.target === tree || event.detail.elt === tree || !document.body.contains(event.detail.target))) {
      restoreCollapsed(tree);
      stamp();
      var count = document.getElementById("jobs-count");
      if (count) {
        count.textContent = tree.getAttribute("data-total");
        count.setAttribute("aria-label", tree.getAttribute("data-total") + " jobs");
      }
    }
    if (event.detail.target && event.detail.target.id === "job-pane") {
      document.querySelectorAll(".job-link.selected").forEach(function (el) { el.classList.remove("selected"); });
      var path = window.location.pathname;
      document.querySelectorAll(".job-link").forEach(function (el) {
        if (el.getAttribute("href") === path) el.classList.add("selected");
      });
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("logs-dialog");
    if (dialog) dialog.addEventListener("close", stopFollowing);
    var pre = document.querySelector("main pre[data-stream]");
    if (pre && !dialog) follow(pre);
    var toggle = document.getElementById("jobs-live");
    if (toggle) toggle.checked = liveWanted();
    stamp();
    connect();
    startSplitter();
  });
})();
