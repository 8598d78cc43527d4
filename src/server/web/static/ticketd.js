// ticketd's keyboard shortcuts (no inline script: the pages' CSP forbids it).
// "/" focuses the search box; "g h" goes home; "n" opens a new ticket; on a ticket page
// "r" replies, "c" comments and "t" takes it. Nothing fires while typing in a field.
(function () {
  "use strict";
  var pending = "";
  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) { return; }
    var key = e.key;
    if (pending === "g" && key === "h") { pending = ""; click("header.top nav a"); return; }
    pending = key === "g" ? "g" : "";
    if (key === "/") { e.preventDefault(); var box = document.querySelector(".quick-search input"); if (box) { box.focus(); } }
    else if (key === "n") { click("header.top nav a[accesskey=n]"); }
    else if (key === "r") { click("#reply"); }
    else if (key === "c") { click("#comment"); }
    else if (key === "t") { click("#take button"); }
  });
})();
