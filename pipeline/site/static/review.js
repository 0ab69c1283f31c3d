// The review site's one script. It reads no text of a report as code: the page
// is rendered with escaping, and this file only links a value with its box.
(function () {
  "use strict";
  function each(sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), fn); }
  function cells(id) { return '[data-cell="' + CSS.escape(id) + '"]'; }
  function mark(id, on) {
    each(cells(id), function (el) { el.classList.toggle("hot", on); });
  }
  each("[data-cell]", function (el) {
    var id = el.getAttribute("data-cell");
    el.addEventListener("mouseenter", function () { mark(id, true); });
    el.addEventListener("mouseleave", function () { mark(id, false); });
    el.addEventListener("click", function () {
      each(".box" + cells(id), function (b) { b.scrollIntoView({block: "center"}); });
    });
  });
  // open on the first doubtful cell: its page and its row of the table
  var first = document.querySelector(".box.suggested, .box.flagged");
  if (first) { first.scrollIntoView({block: "center"}); mark(first.getAttribute("data-cell"), true); }
  document.body.setAttribute("data-ready", "yes");
})();
