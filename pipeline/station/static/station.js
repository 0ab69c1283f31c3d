// The station's keyboard flow. No data from a report is ever read as code here:
// the page is rendered server-side with escaping, and this file only moves focus,
// fills the reviewer's name and submits the row's own form.
(function () {
  "use strict";
  var reviewer = document.getElementById("reviewer");
  if (reviewer) {
    reviewer.value = sessionStorage.getItem("reportdb-reviewer") || "";
    reviewer.addEventListener("input", function () {
      sessionStorage.setItem("reportdb-reviewer", reviewer.value.trim());
    });
  }
  var station = document.getElementById("station");
  if (!station) return;
  // boxes are placed from their data (the page's CSP allows no style attributes)
  document.querySelectorAll(".sheet").forEach(function (s) {
    s.style.width = s.dataset.w + "px";
    s.style.height = s.dataset.h + "px";
  });
  document.querySelectorAll(".box[data-box]").forEach(function (b) {
    var v = b.dataset.box.split(" ");
    b.style.left = v[0] + "px"; b.style.top = v[1] + "px";
    b.style.width = v[2] + "px"; b.style.height = v[3] + "px";
  });
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.cell"));
  var doubtful = rows.filter(function (r) { return r.classList.contains("doubtful"); });
  var current = null;
  var zoom = 1;

  function box(row) { return document.querySelector('.box[data-cell="' + CSS.escape(row.id) + '"]'); }

  function select(row) {
    if (current) {
      current.classList.remove("current");
      var b0 = box(current);
      if (b0) b0.classList.remove("current");
    }
    current = row;
    if (!row) return;
    row.classList.add("current");
    row.scrollIntoView({block: "center"});
    var b = box(row);
    if (b) {
      b.classList.add("current");
      b.scrollIntoView({block: "center", inline: "center"});
    }
    history.replaceState(null, "", "#" + row.id);
  }

  function move(step) {
    var list = doubtful.length ? doubtful : rows;
    if (!list.length) return;
    var i = list.indexOf(current);
    i = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
    select(list[i]);
  }

  function submit(row, action) {
    var name = reviewer ? reviewer.value.trim() : "";
    if (!name) {
      reviewer.focus();
      reviewer.placeholder = "your name, then Enter again";
      return;
    }
    var form = row.querySelector("form");
    form.querySelector('input[name="by"]').value = name;
    form.querySelector('input[name="action"]').value = action;
    form.submit();
  }

  function setZoom(z) {
    zoom = Math.min(4, Math.max(0.25, z));
    document.querySelectorAll(".sheet").forEach(function (s) { s.style.zoom = zoom; });
  }

  // a copy's correction, taken over: the reviewer's name goes with it
  document.querySelectorAll("form.offer").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var name = reviewer ? reviewer.value.trim() : "";
      if (!name) {
        ev.preventDefault();
        reviewer.focus();
        reviewer.placeholder = "your name first";
        return;
      }
      form.querySelector('input[name="by"]').value = name;
    });
  });

  rows.forEach(function (row) {
    row.addEventListener("click", function () { select(row); });
    row.querySelectorAll("button[data-action]").forEach(function (btn) {
      btn.addEventListener("click", function (ev) { ev.stopPropagation(); submit(row, btn.dataset.action); });
    });
  });
  document.querySelectorAll(".box").forEach(function (b) {
    b.addEventListener("click", function (ev) {
      ev.preventDefault();
      var row = document.getElementById(b.dataset.cell);
      if (row) select(row);
    });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.target === reviewer) {
      if (ev.key === "Enter" && current) { ev.preventDefault(); reviewer.blur(); }
      return;
    }
    var inValue = ev.target.classList && ev.target.classList.contains("value");
    if (ev.key === "Enter") {
      if (!current) return;
      ev.preventDefault();
      var v = current.querySelector("input.value").value.trim();
      submit(current, v ? "correct" : "confirm");
      return;
    }
    if (ev.key === "Escape" && inValue) { ev.target.value = ""; ev.target.blur(); return; }
    if (inValue) return;  // typing a value
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
    else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
    else if (ev.key === "a" && current && current.querySelector('button[data-action="accept"]')) {
      ev.preventDefault(); submit(current, "accept");
    }
    else if (ev.key === "n" && station.dataset.next) { location.href = "/doc/" + station.dataset.next; }
    else if (ev.key === "+" || ev.key === "=") { setZoom(zoom * 1.25); }
    else if (ev.key === "-") { setZoom(zoom / 1.25); }
    else if (ev.key === "0") { setZoom(1); }
    else if (current && /^[0-9.\u2212\u2014\/]$/.test(ev.key)) {
      var input = current.querySelector("input.value");
      input.focus();  // the key goes into the box
    }
  });

  var start = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  select(start && start.classList.contains("cell") ? start : (doubtful[0] || null));
})();
