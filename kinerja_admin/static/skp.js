/* SKP page and assessment page: progressive enhancement only (every form works without it).
   Loaded as a file from our own origin, so the Content-Security-Policy needs no inline script. */
(function () {
  "use strict";

  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Assessment page: the predicate the matrix gives the chosen ratings, before saving.
  function updatePreview() {
    var box = document.getElementById("pratinjau-predikat");
    if (!box) { return; }
    var matrix = JSON.parse(box.getAttribute("data-matrix") || "{}");
    var hasil = document.querySelector("input[name=hasil_rating]:checked");
    var perilaku = document.querySelector("input[name=perilaku_rating]:checked");
    var label = hasil && perilaku ? matrix[hasil.value + "|" + perilaku.value] : null;
    var out = document.getElementById("predikat");
    out.textContent = label || "-";
    out.setAttribute("data-predicate", label || "");
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "hasil_rating" || event.target.name === "perilaku_rating") {
      updatePreview();
    }
  });
  document.addEventListener("DOMContentLoaded", updatePreview);
})();
