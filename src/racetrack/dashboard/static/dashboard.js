// Racetrack Dashboard: local times, refreshing "X ago" labels, copy buttons, toasts,
// client-side form checks, the phone menu. No build step; htmx does the partial updates.
(function () {
  "use strict";

  function timeAgo(date, now) {
    var seconds = Math.max(0, Math.floor((now - date) / 1000));
    var days = Math.floor(seconds / 86400), s = seconds % 86400;
    if (days === 0) {
      if (s < 10) return "just now";
      if (s < 60) return s + " seconds ago";
      if (s < 120) return "a minute ago";
      if (s < 3600) return Math.floor(s / 60) + " minutes ago";
      if (s < 7200) return "an hour ago";
      return Math.floor(s / 3600) + " hours ago";
    }
    if (days === 1) return "yesterday";
    if (days < 7) return days + " days ago";
    if (days < 14) return "a week ago";
    if (days < 31) return Math.floor(days / 7) + " weeks ago";
    if (days < 60) return "a month ago";
    if (days < 365) return Math.floor(days / 30) + " months ago";
    if (days < 730) return "a year ago";
    return Math.floor(days / 365) + " years ago";
  }

  // Refresh each "ago" label every second while < 1 min old, every minute while < 1 h,
  // every hour while < 1 day, then leave it.
  function renderTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      var local = date.toLocaleString();
      el.title = local;
      if (el.classList.contains("ago")) {
        el.textContent = timeAgo(date, Date.now());
        el.setAttribute("aria-label", local + " (" + el.textContent + ")");
        schedule(el, date);
      } else {
        el.textContent = local;
      }
    });
  }

  function schedule(el, date) {
    var age = Date.now() - date;
    var delay = age < 60e3 ? 1e3 : age < 3600e3 ? 60e3 : age < 86400e3 ? 3600e3 : 0;
    if (!delay || el._agoTimer) return;
    el._agoTimer = setTimeout(function () {
      el._agoTimer = null;
      if (document.body.contains(el)) {
        el.textContent = timeAgo(date, Date.now());
        schedule(el, date);
      }
    }, delay);
  }

  function showToast(level, message) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + level;
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = message;
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, level === "error" ? 10000 : 5000);
  }
  window.racetrackToast = showToast;

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (button) {
      var source = document.querySelector(button.getAttribute("data-copy"));
      var text = source ? (source.value || source.textContent) : "";
      var done = function () { showToast("success", "Copied to clipboard."); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { source.select(); document.execCommand("copy"); done(); });
      } else if (source) {
        source.select(); document.execCommand("copy"); done();
      }
      return;
    }
    var toggle = event.target.closest(".menu-toggle");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  // forms with data-match="a,b": the two password fields must be equal (checked server-side too)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var match = form.getAttribute && form.getAttribute("data-match");
    if (!match) return;
    var names = match.split(",");
    if (form.elements[names[0]].value !== form.elements[names[1]].value) {
      event.preventDefault();
      showToast("error", "Passwords do not match.");
      form.elements[names[1]].focus();
    }
  });

  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    showToast(detail.level || "info", detail.message || "");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr.getResponseHeader("HX-Trigger")) {
      showToast("error", xhr.responseText || ("Request failed: HTTP " + xhr.status));
    }
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("error", "The server can't be reached.");
  });
  document.addEventListener("htmx:afterSwap", function (event) { renderTimes(event.target); });
  document.addEventListener("DOMContentLoaded", function () {
    renderTimes(document);
    document.querySelectorAll("#toasts .toast").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 6000);
    });
  });
})();
