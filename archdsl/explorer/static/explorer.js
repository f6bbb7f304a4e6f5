/* archdsl explorer: draws the model written by archdsl/explorer/model.py with dagre, lets the reader
   open and close blocks, search, pan, zoom and download the view. It makes no network request: the
   model, dagre and this file are all inside the page. `archdsl serve` pushes new models to
   `archdslExplorer.setModel`, which keeps the blocks the reader opened. */
(function () {
  "use strict";
  const SVGNS = "http://www.w3.org/2000/svg";
  const FONT = "Helvetica, Arial, sans-serif";
  const $ = (id) => document.getElementById(id);
  const measure = document.createElement("canvas").getContext("2d");

  let model = null;
  let open = new Set();
  let children = {}; // unit id -> child unit ids
  let unitOf = {}; // node id -> the unit that holds it
  let view = { x: 0, y: 0, k: 1 };
  let bounds = { width: 0, height: 0 };
  let hits = [];
  let hitIndex = 0;
  let lastQuery = "";
  let found = null;

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVGNS, name);
    for (const key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function textWidth(text, size, bold) {
    measure.font = (bold ? "bold " : "") + size + "px " + FONT;
    return measure.measureText(text).width;
  }

  function colours(family) {
    return model.palette.families[family] || model.palette.families.other;
  }

  // -- the model ---------------------------------------------------------------------------------

  function index() {
    children = {};
    unitOf = {};
    for (const id in model.units) {
      children[id] = children[id] || [];
      const parent = model.units[id].parent;
      if (parent !== null) (children[parent] = children[parent] || []).push(id);
      for (const node of model.units[id].nodes) unitOf[node] = id;
    }
  }

  function closable(id) {
    return id !== "" && model.units[id] && model.units[id].closed;
  }

  /* What is drawn for the current open set: nodes (ops and closed blocks), boxes (open blocks), and
     for every op the visible node that stands for it (itself, or the outermost closed block around it). */
  function visible() {
    const nodes = new Map();
    const boxes = new Map();
    const rep = new Map();
    function place(unitId, box, owner) {
      const unit = model.units[unitId];
      for (const id of unit.nodes) {
        rep.set(id, owner || id);
        if (!owner) nodes.set(id, { data: model.nodes[id], parent: box, unit: null });
      }
      for (const childId of children[unitId]) {
        const child = model.units[childId];
        if (owner) {
          place(childId, null, owner);
        } else if (!open.has(childId) && child.closed) {
          nodes.set(childId, { data: child.closed, parent: box, unit: childId });
          place(childId, null, childId);
        } else if (child.single) {
          place(childId, box, null); // a group around one op is drawn as that op
        } else {
          boxes.set(childId, { unit: child, parent: box });
          place(childId, childId, null);
        }
      }
    }
    place("", null, null);
    return { nodes, boxes, rep };
  }

  /* Edges between ops, moved to the nodes that stand for them; a value feeding several nodes is
     labelled once, skip connections always (as in the static diagram). */
  function visibleEdges(rep) {
    const edges = new Map();
    for (const [source, target, shape, skip] of model.edges) {
      const a = rep.get(source);
      const b = rep.get(target);
      if (a === undefined || b === undefined || a === b) continue;
      const key = a + "\u0000" + b + "\u0000" + shape;
      const isSkip = !!skip && b === target;
      if (!edges.has(key)) edges.set(key, { source: a, target: b, shape, skip: isSkip });
      else if (!isSkip) edges.get(key).skip = false;
    }
    const labelled = new Set();
    const out = [...edges.values()];
    for (const edge of out) {
      const key = edge.source + "\u0000" + edge.shape;
      edge.label = edge.skip || !labelled.has(key);
      labelled.add(key);
    }
    return out;
  }

  // -- layout ------------------------------------------------------------------------------------

  function lines(data) {
    const out = [];
    if (data.name) out.push({ text: data.name, size: 9, colour: "#555555" });
    out.push({ text: data.title, size: 11, bold: data.kind === "block" || data.kind === "stage", colour: "#000000" });
    for (const line of (data.detail || "").split("\n")) if (line) out.push({ text: line, size: 9, colour: "#333333" });
    return out;
  }

  function size(data) {
    if (data.kind === "merge" && model.palette.merges[data.title]) return { w: 22, h: 22 };
    const rows = data.kind === "merge" || data.kind === "input" || data.kind === "output"
      ? [{ text: data.title, size: 11 }] : lines(data);
    const width = Math.max(...rows.map((r) => textWidth(r.text, r.size, r.bold))) + 18;
    const height = rows.reduce((sum, r) => sum + r.size + 3, 0) + 9;
    return { w: Math.max(width, 36), h: Math.max(height, 22) };
  }

  function layout(vis, edges) {
    const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
    // dagre halves ranksep when edges carry labels; half of it is the space above a box's first row,
    // which holds the box's label.
    g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 34, edgesep: 8, marginx: 16, marginy: 24 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const [id, box] of vis.boxes) {
      g.setNode("box:" + id, { paddingTop: 16, label: box.unit.label, width: textWidth(box.unit.label, 10) + 16 });
    }
    for (const [id, box] of vis.boxes) if (box.parent !== null) g.setParent("box:" + id, "box:" + box.parent);
    for (const [id, node] of vis.nodes) {
      const s = size(node.data);
      g.setNode("n:" + id, { width: s.w, height: s.h });
      if (node.parent !== null) g.setParent("n:" + id, "box:" + node.parent);
    }
    edges.forEach((edge, i) => {
      const label = edge.label ? { width: textWidth(edge.shape, 9) + 6, height: 12, labelpos: "r", labeloffset: 3 }
        : { width: 0, height: 0 };
      g.setEdge("n:" + edge.source, "n:" + edge.target, Object.assign({ weight: edge.skip ? 1 : 4, minlen: 1 }, label),
        "e" + i);
    });
    dagre.layout(g);
    return g;
  }

  // -- drawing -----------------------------------------------------------------------------------

  function drawBox(scene, id, box, g) {
    const b = g.node("box:" + id);
    const level = box.unit.level;
    const group = el("g", { class: "frame", "data-unit": id }, scene);
    el("rect", { x: b.x - b.width / 2, y: b.y - b.height / 2, width: b.width, height: b.height, rx: 6,
      fill: model.palette.clusters[(level - 1) % 2], stroke: "#9A9A9A", "stroke-width": 1 }, group);
    const label = el("text", { x: b.x - b.width / 2 + 8, y: b.y - b.height / 2 + 11, "font-size": 10, "font-family": FONT,
      fill: "#333333" }, group);
    label.textContent = box.unit.label;
    tip(group, id, [["", box.unit.tip || box.unit.label]], "click the frame to close");
    group.addEventListener("click", (event) => clickOnce(event, () => toggle(id, false)));
  }

  function drawNode(scene, id, node, g) {
    const p = g.node("n:" + id);
    const data = node.data;
    const [fill, border] = colours(data.family);
    const group = el("g", { class: "node", "data-id": id, "data-kind": data.kind }, scene);
    const x = p.x - p.width / 2;
    const y = p.y - p.height / 2;
    const symbol = data.kind === "merge" ? model.palette.merges[data.title] : null;
    if (symbol) {
      el("circle", { cx: p.x, cy: p.y, r: p.width / 2, fill, stroke: border, "stroke-width": 1.2 }, group);
    } else if (data.kind === "merge") {
      el("ellipse", { cx: p.x, cy: p.y, rx: p.width / 2, ry: p.height / 2, fill, stroke: border, "stroke-width": 1.2 },
        group);
    } else if (data.kind === "input" || data.kind === "output") {
      el("rect", { x, y, width: p.width, height: p.height, rx: 6, fill: "#FFFFFF", stroke: border, "stroke-width": 1.4 },
        group);
    } else {
      el("rect", { x, y, width: p.width, height: p.height, rx: 6, fill, stroke: border, "stroke-width": 1.2 }, group);
      if (node.unit) {
        el("rect", { x: x + 3, y: y + 3, width: p.width - 6, height: p.height - 6, rx: 4, fill: "none", stroke: border,
          "stroke-width": 1 }, group);
      }
    }
    const rows = symbol ? [{ text: symbol, size: 14, colour: "#000000" }]
      : data.kind === "merge" || data.kind === "input" || data.kind === "output"
        ? [{ text: data.title, size: 11, colour: "#000000" }] : lines(data);
    const total = rows.reduce((sum, r) => sum + r.size + 3, 0) - 3;
    let baseline = p.y - total / 2;
    for (const row of rows) {
      baseline += row.size;
      const text = el("text", { x: p.x, y: baseline - 1, "text-anchor": "middle", "font-size": row.size,
        "font-family": FONT, fill: row.colour }, group);
      if (row.bold) text.setAttribute("font-weight", "bold");
      text.textContent = row.text;
      baseline += 3;
    }
    if (node.unit) {
      tip(group, node.unit, data.tip, "click to open");
      group.addEventListener("click", (event) => clickOnce(event, () => toggle(node.unit, true)));
    } else {
      tip(group, id.startsWith("(") ? "" : id, data.tip, "");
    }
    if (found !== null && (found === id || found === node.unit)) group.classList.add("found");
  }

  function drawEdge(scene, edge, g, i) {
    const e = g.edge("n:" + edge.source, "n:" + edge.target, "e" + i);
    const points = e.points;
    const d = "M" + points.map((pt) => pt.x.toFixed(1) + "," + pt.y.toFixed(1)).join(" L");
    const colour = edge.skip ? model.palette.skip : "#555555";
    const path = el("path", { d, fill: "none", stroke: colour, "stroke-width": edge.skip ? 1.3 : 1,
      "marker-end": edge.skip ? "url(#arrow-skip)" : "url(#arrow)", class: "edge" }, scene);
    if (edge.skip) path.setAttribute("stroke-dasharray", "5,3");
    if (edge.label && e.x !== undefined) {
      const text = el("text", { x: e.x - e.width / 2 + 3, y: e.y + 4, "font-size": 9, "font-family": FONT,
        fill: edge.skip ? model.palette.skip : "#444444" }, scene);
      text.textContent = edge.shape;
    }
  }

  function markers(svg) {
    const defs = el("defs", {}, svg);
    for (const [id, colour] of [["arrow", "#555555"], ["arrow-skip", model.palette.skip]]) {
      const marker = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6,
        orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }, marker);
    }
  }

  let positions = {}; // last layout: id -> centre, to keep a clicked block in place

  function render(anchor) {
    hideTip(); // the node under the pointer is about to be replaced
    const before = anchor && positions[anchor];
    const vis = visible();
    const edges = visibleEdges(vis.rep);
    const g = layout(vis, edges);
    const svg = $("diagram");
    svg.textContent = "";
    markers(svg);
    const scene = el("g", { id: "viewport" }, svg);
    const boxes = [...vis.boxes.entries()].sort((a, b) => a[1].unit.level - b[1].unit.level);
    for (const [id, box] of boxes) drawBox(scene, id, box, g);
    edges.forEach((edge, i) => drawEdge(scene, edge, g, i));
    for (const [id, node] of vis.nodes) drawNode(scene, id, node, g);
    const graph = g.graph();
    bounds = { width: graph.width, height: graph.height };
    positions = {};
    for (const [id] of vis.nodes) positions[id] = g.node("n:" + id);
    for (const [id] of vis.boxes) positions[id] = g.node("box:" + id);
    const after = anchor && positions[anchor];
    if (before && after) {
      view.x += (before.x - after.x) * view.k;
      view.y += (before.y - before.height / 2 - (after.y - after.height / 2)) * view.k;
    }
    apply();
    document.body.dataset.nodes = String(vis.nodes.size);
    document.body.dataset.open = [...open].sort().join(",");
  }

  // -- interaction -------------------------------------------------------------------------------

  /* Opening a block also opens the plain groups inside it (`downsample`), as the default depth does. */
  function openWithGroups(id) {
    open.add(id);
    for (const child of children[id] || []) if (model.units[child].auto) openWithGroups(child);
  }

  function toggle(id, wantOpen) {
    if (wantOpen) openWithGroups(id);
    else open.delete(id);
    found = null;
    hideTip();
    render(id);
  }

  let dragged = false;

  function clickOnce(event, action) {
    event.stopPropagation();
    if (!dragged) action();
  }

  function tip(target, path, rows, hint) {
    target.addEventListener("mouseenter", (event) => showTip(event, path, rows, hint));
    target.addEventListener("mousemove", moveTip);
    target.addEventListener("mouseleave", hideTip);
  }

  function showTip(event, path, rows, hint) {
    if (event.target.closest(".node") && event.currentTarget.classList.contains("frame")) return;
    const box = $("tooltip");
    box.textContent = "";
    if (path) {
      const head = document.createElement("div");
      head.className = "path";
      head.textContent = path;
      box.appendChild(head);
    }
    const table = document.createElement("table");
    for (const [key, value] of rows) {
      const row = table.insertRow();
      const k = row.insertCell();
      k.className = "key";
      k.textContent = key;
      row.insertCell().textContent = value;
    }
    box.appendChild(table);
    if (hint) {
      const small = document.createElement("div");
      small.className = "hint";
      small.textContent = hint;
      box.appendChild(small);
    }
    box.style.display = "block";
    moveTip(event);
  }

  function moveTip(event) {
    const box = $("tooltip");
    const x = Math.min(event.clientX + 14, window.innerWidth - box.offsetWidth - 8);
    const y = Math.min(event.clientY + 14, window.innerHeight - box.offsetHeight - 8);
    box.style.left = Math.max(4, x) + "px";
    box.style.top = Math.max(4, y) + "px";
  }

  function hideTip() {
    $("tooltip").style.display = "none";
  }

  function apply() {
    const scene = $("viewport");
    if (scene) scene.setAttribute("transform", `translate(${view.x.toFixed(1)},${view.y.toFixed(1)}) scale(${view.k})`);
  }

  function fit() {
    const canvas = $("canvas");
    const k = Math.min(1, (canvas.clientWidth - 20) / Math.max(bounds.width, 1));
    view = { k, x: (canvas.clientWidth - bounds.width * k) / 2, y: 8 };
    apply();
  }

  function centreOn(id) {
    const p = positions[id];
    if (!p) return;
    const canvas = $("canvas");
    view.x = canvas.clientWidth / 2 - p.x * view.k;
    view.y = canvas.clientHeight / 2 - p.y * view.k;
    apply();
  }

  /* Scroll so that the top of a node or box shows near the top of the canvas. */
  function reveal(id) {
    const p = positions[id];
    if (!p) return;
    view.x = $("canvas").clientWidth / 2 - p.x * view.k;
    view.y = 30 - (p.y - p.height / 2) * view.k;
    apply();
  }

  function panAndZoom() {
    const canvas = $("canvas");
    let start = null;
    canvas.addEventListener("mousedown", (event) => {
      start = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
      dragged = false;
    });
    window.addEventListener("mousemove", (event) => {
      if (!start) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) {
        dragged = true;
        canvas.classList.add("dragging");
        hideTip();
      }
      if (dragged) {
        view.x = start.vx + dx;
        view.y = start.vy + dy;
        apply();
      }
    });
    window.addEventListener("mouseup", () => {
      start = null;
      canvas.classList.remove("dragging");
      setTimeout(() => { dragged = false; }, 0);
    });
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const mx = event.clientX - rect.left;
      const my = event.clientY - rect.top;
      const k = Math.min(4, Math.max(0.05, view.k * Math.exp(-event.deltaY * 0.0015)));
      view.x = mx - ((mx - view.x) * k) / view.k;
      view.y = my - ((my - view.y) * k) / view.k;
      view.k = k;
      apply();
    }, { passive: false });
  }

  // -- search ------------------------------------------------------------------------------------

  function candidates(query) {
    const q = query.toLowerCase();
    const scored = [];
    const consider = (id, data) => {
      const last = id.split(".").pop().toLowerCase();
      const text = [id, data && data.title, data && data.name].filter(Boolean).join(" ").toLowerCase();
      let score = id.toLowerCase() === q ? 0 : last === q ? 1 : id.toLowerCase().startsWith(q) ? 2 :
        text.includes(q) ? 3 : -1;
      if (score >= 0) scored.push([score, scored.length, id]);
    };
    for (const id in model.units) if (closable(id)) consider(id, model.units[id].closed);
    for (const id in model.nodes) if (!id.startsWith("(")) consider(id, model.nodes[id]);
    return scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((s) => s[2]);
  }

  /* `layer3.7.conv2` is drawn by the first copy of the folded run `layer3.1–35`: `layer3.1.conv2`. */
  function unfold(query) {
    for (const id in model.units) {
      const members = model.units[id].members;
      if (!members) continue;
      const cut = id.lastIndexOf(".");
      const prefix = cut < 0 ? "" : id.slice(0, cut + 1);
      const first = id.slice(cut + 1);
      for (const member of members) {
        const path = prefix + member;
        if (member !== first && (query === path || query.startsWith(path + "."))) {
          return prefix + first + query.slice(path.length);
        }
      }
    }
    return query;
  }

  /* Find a label and open the blocks around it; pressing Enter again goes to the next match. */
  function search(typed) {
    const query = typed.trim();
    if (!query) return null;
    if (query !== lastQuery) {
      lastQuery = query;
      hitIndex = 0;
      hits = candidates(query);
      for (let path = query, next = unfold(path); !hits.length && next !== path; path = next, next = unfold(path)) {
        hits = candidates(next);
      }
    } else {
      hitIndex = hits.length ? (hitIndex + 1) % hits.length : 0;
    }
    $("search").classList.toggle("miss", hits.length === 0);
    if (!hits.length) return null;
    const id = hits[hitIndex];
    let unit = model.units[id] ? model.units[id].parent : unitOf[id];
    while (unit) {
      open.add(unit);
      unit = model.units[unit].parent;
    }
    found = id;
    render();
    centreOn(id);
    return id;
  }

  // -- controls ----------------------------------------------------------------------------------

  function expandAll() {
    open = new Set(Object.keys(model.units).filter(closable));
    found = null;
    render();
    fit();
  }

  function collapseAll() {
    open = new Set();
    found = null;
    render();
    fit();
  }

  /* The current view as a standalone SVG document (the whole diagram, at scale 1). */
  function svgText() {
    const copy = $("diagram").cloneNode(true);
    copy.setAttribute("xmlns", SVGNS);
    copy.setAttribute("viewBox", `0 0 ${bounds.width} ${bounds.height}`);
    copy.setAttribute("width", bounds.width);
    copy.setAttribute("height", bounds.height);
    copy.removeAttribute("style");
    copy.querySelector("#viewport").removeAttribute("transform");
    copy.insertBefore(el("rect", { width: "100%", height: "100%", fill: "#FFFFFF" }), copy.querySelector("#viewport"));
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
  }

  function download() {
    const blob = new Blob([svgText()], { type: "image/svg+xml" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = model.name + ".svg";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  function header() {
    $("title").textContent = model.title;
    $("subtitle").textContent = model.subtitle;
    document.title = model.title + " · archdsl";
    const legend = $("legend");
    legend.textContent = "";
    const seen = new Map();
    for (const family of model.families) {
      const [fill, border, text] = colours(family);
      const key = fill + border;
      if (seen.has(key)) seen.get(key).texts.push(text);
      else seen.set(key, { fill, border, texts: [text] });
    }
    for (const entry of seen.values()) {
      const item = document.createElement("span");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = entry.fill;
      swatch.style.borderColor = entry.border;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(entry.texts.join(", ")));
      legend.appendChild(item);
    }
  }

  /* Show a model; a new model of the same network (a live edit) keeps the reader's open blocks and view. */
  function setModel(next) {
    const first = model === null;
    model = next;
    index();
    open = first ? new Set(model.open) : new Set([...open].filter(closable));
    header();
    render();
    if (first) fit();
  }

  function start() {
    panAndZoom();
    $("expand-all").addEventListener("click", expandAll);
    $("collapse-all").addEventListener("click", collapseAll);
    $("fit").addEventListener("click", fit);
    $("download").addEventListener("click", download);
    $("search").addEventListener("keydown", (event) => {
      if (event.key === "Enter") search(event.target.value);
    });
    const data = $("archdsl-model");
    if (data && data.textContent.trim()) setModel(JSON.parse(data.textContent));
  }

  window.archdslExplorer = {
    setModel, search, expandAll, collapseAll, svgText, fit, reveal,
    open: (id) => toggle(id, true),
    close: (id) => toggle(id, false),
    state: () => [...open].sort(),
  };
  document.addEventListener("DOMContentLoaded", start);
})();
