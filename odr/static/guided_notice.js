// The guided notice, better with a script (every step works without one): the listings named are counted as they
// are typed, and leaving a step with changes not yet saved asks first (each step is saved when it is sent).
// Served as a static file: the CSP allows no inline script.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";

  var listings = document.getElementById("listings");
  var counter = document.getElementById("listings-count");
  if (listings && counter) {
    var count = function () {
      var named = listings.value.split("\n").filter(function (line) { return line.trim() !== ""; }).length;
      var number;
      try {
        number = new Intl.NumberFormat(lang).format(named);
      } catch (e) {
        number = String(named);
      }
      counter.textContent = counter.getAttribute("data-template").replace("%(count)s", number);
      counter.hidden = false;
    };
    listings.addEventListener("input", count);
    count();
  }

  var changed = false;
  document.querySelectorAll("main form").forEach(function (form) {
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("change", function () { changed = true; });
    form.addEventListener("submit", function () { changed = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!changed) return;
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own words, in the reader's language
  });
})();
