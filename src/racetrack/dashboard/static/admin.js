// Administration, Activity, Portfolio and Graph pages: forms with data-confirm="question"
// ask before they are sent (revoking a permission, deleting a job, maintenance mode...);
// checkboxes with data-remember="key" keep their state in localStorage (e.g. the
// Administration page's "Replace on upload": administration.replacePlugins).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function remember(box) {
    var key = box.getAttribute("data-remember");
    try {
      var saved = window.localStorage.getItem(key);
      if (saved !== null) { box.checked = saved === "true"; }
    } catch (e) { /* storage unavailable: the default state */ }
    box.addEventListener("change", function () {
      try { window.localStorage.setItem(key, box.checked ? "true" : "false"); } catch (e) { /* not remembered */ }
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input[type=checkbox][data-remember]"), remember);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
