/* overt report: the page's own script (no libraries). Chooses the cluster on show, pans and zooms the network
   SVGs (by their viewBox), highlights a node's neighbours on hover, selects nodes by click or keyboard, and finds
   accounts. The page works without it: every section is then shown one after the other. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  var data = {};
  try {
    data = JSON.parse(document.getElementById("overt-data").textContent) || {};
  } catch (e) {
    data = {};
  }

  function all(sel, scope) {
    return Array.prototype.slice.call((scope || document).querySelectorAll(sel));
  }
  function score(v) {
    return typeof v === "number" && isFinite(v) ? "score " + v.toFixed(2) : "no score";
  }

  /* ---- accounts: sections by id, labels by id ---------------------------------------------------------- */
  var sections = {};
  all("article.account-section").forEach(function (el) { sections[el.dataset.account] = el; });
  var members = {};
  (data.clusters || []).forEach(function (c) {
    (c.members || []).forEach(function (m) {
      members[String(m.account_id)] = { member: m, cluster: String(c.cluster) };
    });
  });

  /* ---- one cluster at a time ----------------------------------------------------------------------------- */
  var clusterSections = all("section.cluster");
  var groups = all(".account-group[data-cluster]");
  var indexRows = all("#cluster-index tbody tr");

  function showCluster(n) {
    n = String(n);
    clusterSections.forEach(function (s) { s.classList.toggle("current", s.dataset.cluster === n); });
    groups.forEach(function (g) { g.classList.toggle("current", g.dataset.cluster === n); });
    indexRows.forEach(function (r) {
      if (r.dataset.cluster === n) { r.setAttribute("aria-current", "true"); } else { r.removeAttribute("aria-current"); }
    });
  }

  function focusHeading(el) {
    var h = el.querySelector("h2, h3, h4");
    if (h) { h.focus({ preventScroll: true }); }
    el.scrollIntoView({ block: "start" });
  }

  function route() {
    var id = "";
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { id = location.hash.slice(1); }
    var el = id ? document.getElementById(id) : null;
    all(".account-section.current").forEach(function (a) { a.classList.remove("current"); });
    if (el && el.matches("section.cluster")) {
      showCluster(el.dataset.cluster);
      focusHeading(el);
    } else if (el && el.matches("article.account-section")) {
      if (el.dataset.cluster) { showCluster(el.dataset.cluster); }
      el.classList.add("current");
      focusHeading(el);
    } else if (!document.querySelector("section.cluster.current") && clusterSections.length) {
      showCluster(clusterSections[0].dataset.cluster);
      if (el) { el.scrollIntoView({ block: "start" }); }
    }
  }

  function go(id) {
    if (location.hash === "#" + id) { route(); } else { location.hash = id; }
  }

  window.addEventListener("hashchange", route);

  /* ---- networks ------------------------------------------------------------------------------------------- */
  function Network(svg) {
    var self = this;
    var W = Number(svg.dataset.width) || 960;
    var H = Number(svg.dataset.height) || 600;
    var vb = { x: 0, y: 0, w: W, h: H };
    var section = svg.closest("section.cluster");
    var figure = svg.closest("figure");
    var panel = figure ? figure.querySelector(".selection") : null;
    var nodes = all("g.node", svg);
    var byId = {};
    var adjacent = {};
    var incident = {};
    nodes.forEach(function (n) { byId[n.dataset.account] = n; adjacent[n.dataset.account] = []; incident[n.dataset.account] = []; });
    all("line.edge", svg).forEach(function (e) {
      var a = e.dataset.a, b = e.dataset.b;
      if (adjacent[a] && adjacent[b]) {
        adjacent[a].push(b); adjacent[b].push(a);
        incident[a].push(e); incident[b].push(e);
      }
    });
    var selected = null;

    function apply() { svg.setAttribute("viewBox", [vb.x, vb.y, vb.w, vb.h].join(" ")); }

    function toSvg(evt, matrix) {
      var p = svg.createSVGPoint();
      p.x = evt.clientX; p.y = evt.clientY;
      return p.matrixTransform(matrix || svg.getScreenCTM().inverse());
    }

    self.zoom = function (factor, centre) {
      var w = Math.min(Math.max(vb.w / factor, W / 25), W * 2);
      var f = vb.w / w;
      var c = centre || { x: vb.x + vb.w / 2, y: vb.y + vb.h / 2 };
      vb = { x: c.x - (c.x - vb.x) / f, y: c.y - (c.y - vb.y) / f, w: w, h: vb.h / f };
      apply();
    };
    self.reset = function () { vb = { x: 0, y: 0, w: W, h: H }; apply(); };

    function highlight(id, cls) {
      all("." + cls, svg).forEach(function (el) { el.classList.remove(cls); });
      if (id === null || !byId[id]) { return; }
      byId[id].classList.add(cls);
      adjacent[id].forEach(function (b) { byId[b].classList.add("near"); });
      incident[id].forEach(function (e) { e.classList.add("near"); });
    }
    var shown;  /* the node whose neighbourhood is lit: redraw only when it changes (pointermove fires often) */
    function focusOn(id, force) {
      if (id === shown && !force) { return; }
      shown = id;
      all(".near, .hover", svg).forEach(function (el) { el.classList.remove("near", "hover"); });
      svg.classList.toggle("dim", id !== null && !!byId[id]);
      if (id !== null) { highlight(id, id === selected ? "selected" : "hover"); }
    }

    function setPanel(id) {
      if (!panel) { return; }
      panel.textContent = "";
      if (id === null) { return; }
      var info = members[id] ? members[id].member : {};
      var label = info.label || id;
      panel.appendChild(document.createTextNode(
        "Selected: " + label + (label.toLowerCase() !== id.toLowerCase() ? " (" + id + ")" : "") + ", " + (info.role || "member") + ", " +
        score(info.score) + (info.flagged ? ", flagged" : "") + ". "));
      if (sections[id]) {
        var a = document.createElement("a");
        a.href = "#" + sections[id].id;
        a.textContent = "Open the account's section";
        panel.appendChild(a);
      } else {
        panel.appendChild(document.createTextNode("(no account section in this report)"));
      }
    }

    self.select = function (id) {
      if (selected !== null && byId[selected]) { byId[selected].setAttribute("aria-pressed", "false"); }
      all(".selected", svg).forEach(function (el) { el.classList.remove("selected"); });
      selected = id;
      if (section) {
        all("table.members tr.selected", section).forEach(function (r) { r.classList.remove("selected"); });
      }
      if (id !== null && byId[id]) {
        byId[id].setAttribute("aria-pressed", "true");
        if (section) {
          all("table.members tbody tr", section).forEach(function (r) {
            if (r.dataset.account === id) { r.classList.add("selected"); }
          });
        }
      }
      focusOn(id, true);
      setPanel(id);
    };

    self.focusNode = function (node) {
      nodes.forEach(function (n) { n.setAttribute("tabindex", n === node ? "0" : "-1"); });
      node.focus();
    };

    /* pointer: drag pans (after a few pixels, so that a click still selects), Ctrl/pinch + wheel zooms */
    var down = null;
    var dragged = false;
    svg.addEventListener("pointerdown", function (evt) {
      if (evt.button !== 0) { return; }
      down = { x: evt.clientX, y: evt.clientY, vb: { x: vb.x, y: vb.y, w: vb.w, h: vb.h }, m: svg.getScreenCTM().inverse(), id: evt.pointerId };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (evt) {
      if (down && !dragged && Math.abs(evt.clientX - down.x) + Math.abs(evt.clientY - down.y) > 4) {
        dragged = true;
        svg.classList.add("panning");
        try { svg.setPointerCapture(down.id); } catch (e) { /* the pointer is gone */ }
      }
      if (down && dragged) {
        var p0 = toSvg({ clientX: down.x, clientY: down.y }, down.m);
        var p = toSvg(evt, down.m);
        vb.x = down.vb.x - (p.x - p0.x);
        vb.y = down.vb.y - (p.y - p0.y);
        apply();
      }
      if (!down) {
        var node = evt.target.closest ? evt.target.closest("g.node") : null;
        focusOn(node ? node.dataset.account : selected);
      }
    });
    function up() {
      down = null;
      svg.classList.remove("panning");
    }
    svg.addEventListener("pointerup", up);
    svg.addEventListener("pointercancel", up);
    svg.addEventListener("pointerleave", function () { if (!down) { focusOn(selected); } });
    svg.addEventListener("click", function (evt) {
      if (dragged) { dragged = false; return; }
      var node = evt.target.closest("g.node");
      self.select(node ? node.dataset.account : null);
      if (node) { self.focusNode(node); }
    });
    svg.addEventListener("wheel", function (evt) {
      if (!evt.ctrlKey && !evt.metaKey) { return; }
      evt.preventDefault();
      self.zoom(Math.exp(-evt.deltaY / 300), toSvg(evt));
    }, { passive: false });

    /* keyboard: one tab stop per network; arrows walk the nodes (most central first), Enter or Space selects */
    svg.addEventListener("keydown", function (evt) {
      var node = evt.target.closest ? evt.target.closest("g.node") : null;
      var i = node ? nodes.indexOf(node) : -1;
      var next = null;
      switch (evt.key) {
        case "ArrowRight": case "ArrowDown": next = nodes[(i + 1) % nodes.length]; break;
        case "ArrowLeft": case "ArrowUp": next = nodes[(i - 1 + nodes.length) % nodes.length]; break;
        case "Home": next = nodes[0]; break;
        case "End": next = nodes[nodes.length - 1]; break;
        case "Enter": case " ":
          if (node) { self.select(node.dataset.account); evt.preventDefault(); }
          return;
        case "Escape": self.select(null); return;
        case "+": case "=": self.zoom(1.25); evt.preventDefault(); return;
        case "-": case "_": self.zoom(0.8); evt.preventDefault(); return;
        case "0": self.reset(); evt.preventDefault(); return;
        default: return;
      }
      evt.preventDefault();
      if (next) { self.focusNode(next); focusOn(next.dataset.account); }
    });
    svg.addEventListener("focusout", function (evt) {
      if (!svg.contains(evt.relatedTarget)) { focusOn(selected); }
    });

    if (figure) {
      all(".toolbar button", figure).forEach(function (b) {
        b.addEventListener("click", function () {
          if (b.dataset.zoom === "in") { self.zoom(1.25); } else if (b.dataset.zoom === "out") { self.zoom(0.8); } else { self.reset(); }
        });
      });
    }
    /* a member row selects its node (links inside the row keep working as links) */
    if (section) {
      all("table.members tbody tr", section).forEach(function (r) {
        r.addEventListener("click", function (evt) {
          if (evt.target.closest("a")) { return; }
          if (byId[r.dataset.account]) { self.select(r.dataset.account); }
        });
      });
    }
  }

  var networks = all("svg.network").map(function (svg) { return new Network(svg); });

  /* ---- search --------------------------------------------------------------------------------------------- */
  var form = document.getElementById("search");
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  var entries = [];
  Object.keys(data.accounts || {}).forEach(function (id) {
    var a = data.accounts[id] || {};
    entries.push({ id: id, label: String(a.label || id), handle: String(a.handle || ""), target: sections[id] ? sections[id].id : null, cluster: null });
  });
  Object.keys(members).forEach(function (id) {
    if (data.accounts && data.accounts[id]) { return; }
    var m = members[id].member;
    entries.push({ id: id, label: String(m.label || id), handle: "", target: null, cluster: members[id].cluster });
  });

  function find(q) {
    q = q.trim().toLowerCase().replace(/^@/, "");
    if (!q) { return []; }
    var found = [];
    entries.forEach(function (e) {
      var keys = [e.id.toLowerCase(), e.label.toLowerCase(), e.handle.toLowerCase()];
      var rank = keys.indexOf(q) >= 0 ? 0
        : keys.some(function (k) { return k.indexOf(q) === 0; }) ? 1
        : keys.some(function (k) { return k.indexOf(q) > 0; }) ? 2 : -1;
      if (rank >= 0) { found.push({ e: e, rank: rank }); }
    });
    found.sort(function (a, b) { return a.rank - b.rank || (a.e.label < b.e.label ? -1 : a.e.label > b.e.label ? 1 : 0); });
    return found.slice(0, 8).map(function (f) { return f.e; });
  }

  function open(e) {
    results.textContent = "";
    if (e.target) { go(e.target); return; }
    go("cluster-" + e.cluster);
    var svgs = all("svg.network");
    var k = svgs.findIndex(function (s) { return s.dataset.cluster === e.cluster; });
    if (k >= 0) { networks[k].select(e.id); }
  }

  function show(list, q) {
    results.textContent = "";
    if (!q.trim()) { return; }
    if (!list.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = "No account in this report matches “" + q.trim() + "”.";
      results.appendChild(none);
      return;
    }
    list.forEach(function (e) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + (e.target || "cluster-" + e.cluster);
      a.textContent = e.label + (e.label !== e.id ? " (" + e.id + ")" : "") + (e.target ? "" : " · cluster " + e.cluster);
      a.addEventListener("click", function (evt) { evt.preventDefault(); open(e); });
      li.appendChild(a);
      results.appendChild(li);
    });
  }

  document.addEventListener("click", function (evt) {
    if (results && form && !form.contains(evt.target)) { results.textContent = ""; }
  });

  if (form && input && results) {
    input.addEventListener("input", function () { show(find(input.value), input.value); });
    input.addEventListener("keydown", function (evt) {
      if (evt.key === "Escape") { results.textContent = ""; }
    });
    form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      var list = find(input.value);
      if (list.length) { open(list[0]); } else { show(list, input.value); }
    });
  }

  /* ---- print: open the collapsed parts, then put them back -------------------------------------------------- */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = all("details:not([open])");
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });

  route();
})();
