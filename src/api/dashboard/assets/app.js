// The ecompipe dashboard: one page, views chosen by the URL's fragment (#/, #/runs/ID,
// #/objects/KEY, #/rejects, #/catalog, #/notifications), every figure read from /api/v1 with
// the token the user signed in with. The token stays in sessionStorage (this tab, until it
// closes); the page holds no data of its own. The current view is read again every 2 s, so a
// run appears without reloading. Operators see action buttons; a viewer sees none, and the API
// refuses a viewer's action anyway.
"use strict";

const POLL_MS = 2000;
const TOKEN_KEY = "ecompipe.token";
const state = { token: sessionStorage.getItem(TOKEN_KEY), who: null, timer: null, charts: {} };

// ---- the API ---------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const headers = { Authorization: "Bearer " + state.token };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch("/api/v1" + path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: "no-store",
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new ApiError(response.status, message);
  }
  return body;
}

// A list answer's items: the API wraps lists in an object named for them ({"runs": [...],
// "next_cursor": ...}); a bare array is taken as it is.
function list(body, name) {
  if (Array.isArray(body)) return body;
  return (body && (body[name] || body.items)) || [];
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// ---- small DOM helpers -----------------------------------------------------------------

// el("td", {class: "num"}, "12"): an element with attributes and children (strings become
// text, never HTML: every value shown comes from data and is escaped this way).
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const fmt = new Intl.NumberFormat("en-US");
function num(n) { return n === undefined || n === null ? "–" : fmt.format(n); }
function when(t) { return t ? t.replace("T", " ").replace(/\.\d+Z$/, "Z") : "–"; }
function stateSpan(s) { return el("span", { class: "state-" + s }, s || "–"); }
function runLink(id) { return el("a", { href: "#/runs/" + encodeURIComponent(id) }, String(id).slice(0, 12)); }
function objectLink(key) { return el("a", { href: "#/objects/" + encodeURIComponent(key) }, key); }

// A table in a scrolling box: columns are [heading, (row) => cell, "num"?].
function table(columns, rows, empty = "Nothing yet.") {
  if (!rows || rows.length === 0) return el("p", { class: "muted" }, empty);
  return el("div", { class: "box" }, el("table", {},
    el("thead", {}, el("tr", {}, columns.map(([h, , cls]) => el("th", { class: cls }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, columns.map(([, f, cls]) => el("td", { class: cls }, f(r))))))));
}

function cards(items) {
  return el("div", { class: "cards" }, items.map(([label, n, id]) =>
    el("div", { class: "card", "data-figure": id }, el("div", { class: "n" }, num(n)), el("div", { class: "l" }, label))));
}

function isOperator() { return state.who && state.who.role === "operator"; }

// ---- views -----------------------------------------------------------------------------

// Each view: async (args) => Node. The node replaces the view's content at each poll; inputs
// that the user types into live outside it (filters), so polling never takes the focus away.
const views = {};
const filters = {};  // the filter inputs' values, per view, kept across polls

views.overview = async () => {
  const [status, runsPage, deadPage] = await Promise.all([
    api("/status"), api("/runs" + query({ limit: 200 })), api("/notifications" + query({ status: "dead", limit: 100 })),
  ]);
  const w = status.warehouse || {};
  const runs = list(runsPage, "runs");
  const dead = list(deadPage, "notifications");
  const node = el("div", {},
    el("h1", {}, "Overview"),
    w.error ? el("p", { class: "error" }, "The warehouse does not answer: " + w.error) : null,
    cards([
      ["files in the bucket", status.bucket && status.bucket.objects, "landed"],
      ["files loaded", w.objects_loaded, "loaded"],
      ["files failed", w.objects_failed, "failed"],
      ["rows loaded", w.fact_rows, "rows_loaded"],
      ["rows rejected", w.reject_rows, "rows_rejected"],
      ["event backlog", (status.events || {}).deliveries_pending, "backlog"],
      ["notifications pending", status.notifications_pending, "pending"],
      ["dead letters", dead.length, "dead_letters"],
    ]),
    el("div", { class: "charts" },
      el("div", { class: "chart" }, el("canvas", { id: "chart-runs", "aria-label": "runs per hour" })),
      el("div", { class: "chart" }, el("canvas", { id: "chart-rows", "aria-label": "rows per hour" }))),
    el("h2", {}, "Last runs"),
    runsTable(runs.slice(0, 10)),
    el("h2", {}, "Dead letters"),
    notificationsTable(dead, "No dead letters."));
  node.afterMount = () => drawCharts(runs);
  return node;
};

function runsTable(runs) {
  return table([
    ["run", (r) => runLink(r.run_id)],
    ["job", (r) => r.job],
    ["state", (r) => stateSpan(r.state)],
    ["started", (r) => when(r.started_at)],
    ["rows loaded", (r) => num(r.rows_loaded), "num"],
    ["rows rejected", (r) => num(r.rows_rejected), "num"],
  ], runs, "No runs yet.");
}

// Runs and rows per hour from the last runs, oldest first (category axis: Debian's Chart.js
// has no date adapter, and hour labels are all the overview needs).
function drawCharts(runs) {
  const hours = new Map();
  for (const r of runs) {
    const h = (r.started_at || "").slice(0, 13) + ":00";
    if (!hours.has(h)) hours.set(h, { succeeded: 0, failed: 0, rows: 0, rejected: 0 });
    const b = hours.get(h);
    if (r.state === "SUCCEEDED") b.succeeded += 1;
    else if (r.state !== "STARTING" && r.state !== "RUNNING") b.failed += 1;
    b.rows += r.rows_loaded || 0; b.rejected += r.rows_rejected || 0;
  }
  const labels = [...hours.keys()].sort();
  const series = (k) => labels.map((h) => hours.get(h)[k]);
  chart("chart-runs", "Job runs per hour", labels, [["succeeded", series("succeeded"), "#1f7a3a"], ["failed", series("failed"), "#b3261e"]]);
  chart("chart-rows", "Rows per hour", labels, [["loaded", series("rows"), "#2456a6"], ["rejected", series("rejected"), "#8a5a00"]]);
}

function chart(id, title, labels, datasets) {
  const canvas = document.getElementById(id);
  if (!canvas || typeof Chart === "undefined") return;
  const data = { labels, datasets: datasets.map(([label, values, color]) => ({ label, data: values, backgroundColor: color })) };
  const old = state.charts[id];
  if (old && old.canvas === canvas) { old.data = data; old.update("none"); return; }
  if (old) old.destroy();
  state.charts[id] = new Chart(canvas, {
    type: "bar", data,
    options: { animation: false, maintainAspectRatio: false, plugins: { title: { display: true, text: title } },
               scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
}

views.run = async (id) => {
  const run = await api("/runs/" + encodeURIComponent(id));
  const reasons = {};
  for (const o of run.objects || []) {
    for (const [r, n] of Object.entries(o.reject_reasons || {})) reasons[r] = (reasons[r] || 0) + n;
  }
  // The run's state changes, and what was sent about each (matched by the event's id).
  const events = list(await api("/events" + query({ "detail-type": "Glue Job State Change", since: run.started_at, limit: 200 })), "events")
    .filter((e) => e.event && e.event.detail && e.event.detail.jobRunId === run.run_id);
  const ids = new Set(events.map((e) => e.event.id));
  const notes = list(await api("/notifications" + query({ limit: 200 })), "notifications").filter((n) => ids.has(n.event_id));
  return el("div", {},
    el("h1", {}, "Run ", el("code", {}, run.run_id), " ", stateSpan(run.state)),
    el("p", { class: "muted" }, `job ${run.job} · started ${when(run.started_at)} · finished ${when(run.finished_at)}`,
      run.message ? el("span", {}, " · " + run.message) : null),
    cards([["objects", (run.objects || []).length], ["rows read", run.rows_read], ["rows loaded", run.rows_loaded], ["rows rejected", run.rows_rejected]]),
    el("h2", {}, "Objects"),
    table([
      ["key", (o) => objectLink(o.key)],
      ["status", (o) => stateSpan(o.status)],
      ["rows read", (o) => num(o.rows_read), "num"],
      ["loaded", (o) => num(o.rows_loaded), "num"],
      ["rejected", (o) => num(o.rows_rejected), "num"],
      ["message", (o) => o.message || ""],
    ], run.objects),
    el("h2", {}, "Rejects by reason"),
    table([["reason", ([r]) => el("a", { href: "#/rejects?reason=" + encodeURIComponent(r) }, r)],
           ["rows", ([, n]) => num(n), "num"]], Object.entries(reasons), "No rejects."),
    el("h2", {}, "Events"),
    eventsTable(events),
    el("h2", {}, "Notifications"),
    notificationsTable(notes));
};

function eventsTable(events) {
  return table([
    ["received", (e) => when(e.received_at)],
    ["detail-type", (e) => e.event["detail-type"]],
    ["state", (e) => stateSpan((e.event.detail || {}).state)],
    ["deliveries", (e) => `${num(e.deliveries.done)} done, ${num(e.deliveries.pending)} pending, ${num(e.deliveries.dead)} dead`],
  ], events, "No events.");
}

// The steps of the trail, in the order a file takes them.
const STEP_NAMES = { landed: "landed", crawled: "crawled", job_run: "job run", loaded: "loaded", failed: "failed", notified: "notified" };

function stepDetail(s) {
  switch (s.step) {
    case "crawled": return `schema version ${s.schema_version}`;
    case "job_run": return el("span", {}, "run ", runLink(s.run_id), ` of ${s.job}: `, stateSpan(s.state));
    case "notified": return el("span", {}, `${s.topic} → ${s.subscription}: `, stateSpan(s.status));
    case "landed": return "";
    default: return s.rows_read !== undefined
      ? `${num(s.rows_read)} rows read, ${num(s.rows_loaded)} loaded, ${num(s.rows_rejected)} rejected` + (s.message ? " · " + s.message : "")
      : s.message || "";
  }
}

views.object = async (key) => {
  const o = await api("/objects/trail" + query({ key }));
  return el("div", {},
    el("h1", {}, "Object ", el("code", {}, o.key)),
    (o.versions || []).map((v) => el("section", {},
      el("h2", {}, "Version ", el("code", {}, v.etag)),
      el("ol", { class: "trail" }, (v.steps || []).map((s) =>
        el("li", { class: s.step === "failed" || s.state === "FAILED" || s.status === "dead" ? "failed" : "done", "data-step": s.step },
          el("strong", {}, STEP_NAMES[s.step] || s.step), " ", el("span", { class: "muted" }, when(s.at)),
          el("div", { class: "muted" }, stepDetail(s))))))));
};

views.rejects = async (_, params) => {
  const f = filters.rejects = filters.rejects || { object: params.get("object") || "", reason: params.get("reason") || "", cursor: "" };
  const page = await api("/rejects" + query({ object: f.object, reason: f.reason, limit: 50, cursor: f.cursor }));
  return el("div", {},
    table([
      ["object", (r) => objectLink(r.object)],
      ["line", (r) => num(r.line), "num"],
      ["reason", (r) => r.reason],
      ["raw", (r) => el("span", { class: "raw" }, r.raw)],
    ], list(page, "rejects"), "No rejected rows match."),
    page.next_cursor ? el("p", {}, el("button", { class: "secondary", type: "button", onclick: () => { f.cursor = page.next_cursor; refresh(); } }, "Next page")) : null);
};
views.rejects.header = () => {
  const f = filters.rejects || {};
  const input = (name, placeholder) => el("input", {
    name, placeholder, value: f[name] || "",
    onchange: (ev) => { filters.rejects[name] = ev.target.value; filters.rejects.cursor = ""; refresh(); },
  });
  return el("div", {}, el("h1", {}, "Rejects"),
    el("div", { class: "filters" }, input("object", "object key"), input("reason", "reason, e.g. unknown_customer_id")));
};

views.catalog = async () => {
  const tables = list(await api("/catalog"), "tables");
  return el("div", {}, el("h1", {}, "Catalog"), tables.length === 0 ? el("p", { class: "muted" }, "No table crawled yet.") : null,
    tables.map((t) => el("section", {},
      el("h2", {}, t.table, " ", el("span", { class: "muted" },
        `${t.format} · schema version ${t.schema_version} · ${num(t.objects)} objects · ${num(t.partitions)} partitions`)),
      el("p", {}, (t.columns || []).map((c) => el("code", {}, `${c.name} ${c.type}`)).flatMap((c, i) => i ? [", ", c] : [c])),
      table([
        ["version", (v) => num(v.version), "num"],
        ["created", (v) => when(v.created_at)],
        ["change from the version before", (v) => el("span", { class: "wrap" }, v.change || "")],
      ], t.schema_history || [], "No schema history."))));
};

function notificationsTable(items, empty = "No notifications.") {
  return table([
    ["id", (n) => el("code", {}, String(n.id).slice(0, 12))],
    ["created", (n) => when(n.created_at)],
    ["subscription", (n) => `${n.topic} → ${n.subscription}`],
    ["event", (n) => n.event || ""],
    ["state", (n) => stateSpan(n.status)],
    ["attempts", (n) => num(n.attempts), "num"],
    ["last error", (n) => el("span", { class: "wrap" }, n.last_error || "")],
    ["", (n) => isOperator() && n.status === "dead"
      ? el("button", { type: "button", "data-action": "redrive", onclick: (ev) => redrive(n.id, ev.target) }, "Redrive") : ""],
  ], items, empty);
}

async function redrive(id, button) {
  button.disabled = true;
  try {
    await api("/notifications/" + encodeURIComponent(id) + "/redrive", { method: "POST", body: {} });
    button.textContent = "Redriven";
  } catch (e) {
    button.disabled = false;
    button.after(el("span", { class: "error" }, " " + e.message));
  }
  refresh();
}

views.notifications = async () => {
  const f = filters.notifications = filters.notifications || { status: "" };
  const page = await api("/notifications" + query({ status: f.status, limit: 100 }));
  return notificationsTable(list(page, "notifications"));
};
views.notifications.header = () => {
  const f = filters.notifications || { status: "" };
  return el("div", {}, el("h1", {}, "Notifications"), el("div", { class: "filters" },
    el("select", { name: "status", onchange: (ev) => { filters.notifications.status = ev.target.value; refresh(); } },
      ["", "pending", "delivered", "dead"].map((s) => el("option", { value: s, selected: s === f.status }, s || "any state")))));
};

// ---- routing, polling, sign-in ---------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, q] = hash.split("?");
  const params = new URLSearchParams(q || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "runs" && parts[1]) return { view: "run", arg: parts[1], params };
  if (parts[0] === "objects" && parts.length > 1) return { view: "object", arg: parts.slice(1).join("/"), params };
  if (views[parts[0]]) return { view: parts[0], params };
  return { view: "overview", params };
}

let shown = null;  // the view whose header is on the page
async function refresh() {
  if (!state.token) return;
  const r = route();
  const root = document.getElementById("view");
  if (shown !== location.hash) {
    shown = location.hash;
    root.replaceChildren(el("div", { id: "view-header" }), el("div", { id: "view-body" }, el("p", { class: "muted" }, "Loading…")));
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === r.view);
    if (r.view === "rejects") filters.rejects = null;
  }
  const live = document.getElementById("live");
  try {
    const body = await views[r.view](r.arg, r.params);
    const header = views[r.view].header;
    const headerNode = document.getElementById("view-header");
    if (header && headerNode.childElementCount === 0) headerNode.append(header());
    document.getElementById("view-body").replaceChildren(body);
    if (body.afterMount) body.afterMount();
    live.textContent = "live · updated " + new Date().toLocaleTimeString();
    live.classList.remove("stale");
  } catch (e) {
    if (e.status === 401) { signOut("Your token was refused; sign in again."); return; }
    live.textContent = "not updated: " + e.message;
    live.classList.add("stale");
    if (e.status === 404) document.getElementById("view-body").replaceChildren(el("p", { class: "error" }, e.message));
  }
}

async function signIn(token) {
  state.token = token;
  try {
    state.who = await api("/whoami");
  } catch (e) {
    state.token = null;
    throw e;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById("sign-in").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("sign-out").hidden = false;
  document.getElementById("who").textContent = `${state.who.name} (${state.who.role})`;
  document.body.dataset.role = state.who.role;
  shown = null;
  await refresh();
  clearInterval(state.timer);
  state.timer = setInterval(refresh, POLL_MS);
}

function signOut(message = "") {
  clearInterval(state.timer);
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null; state.who = null; shown = null;
  document.getElementById("view").replaceChildren();
  document.getElementById("nav").hidden = true;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("who").textContent = "";
  document.getElementById("sign-in").hidden = false;
  document.getElementById("sign-in-error").textContent = message;
}

document.getElementById("sign-in").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = document.getElementById("token");
  try {
    await signIn(input.value.trim());
    input.value = "";
  } catch (e) {
    document.getElementById("sign-in-error").textContent =
      e.status === 401 ? "That token is not valid." : e.status === 429 ? "Too many failed attempts; wait a minute." : e.message;
  }
});
document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", refresh);

if (state.token) signIn(state.token).catch(() => signOut()); else signOut();
