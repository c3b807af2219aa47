// Administration, Activity, Portfolio and Graph pages: forms with data-confirm="question"
// ask before they are sent (revoking a permission, deleting a job, maintenance mode...).
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
})();
