// The certgate console: reads /_certgate/api/certificates and /_certgate/api/restapis once per
// load and renders, per account and region, a table of certificates (with the stages presenting
// each, and what breaks when one expires) and a table of REST API stages. Every user-supplied text (descriptions, tags) goes in through textContent,
// never innerHTML, so it is shown and never interpreted.
"use strict";

const state = { data: null, apis: [] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function daysText(cert) {
  const d = cert.daysLeft;
  if (cert.status === "expired") {
    const ago = -d - 1;
    return ago <= 0 ? "expired today" : `expired ${ago} day${ago === 1 ? "" : "s"} ago`;
  }
  return `${d} day${d === 1 ? "" : "s"}`;
}

// The table's columns: the header text and the class of its <col>, which app.css sizes.
const COLUMNS = [["ID", "id"], ["Description", "description"], ["Created", "date"], ["Expires", "date"],
  ["Days left", "days"], ["Tags", "tags"], ["Download", "pem"]];

// A timestamp such as 2026-11-28T02:19:03Z, shown as "2026-11-28 02:19:03 UTC". The day and the time
// of day are separate nowrap spans, so that a column too narrow for both wraps between them and
// never inside either.
function dateCell(kind, timestamp) {
  const [day, time] = timestamp.replace("Z", "").split("T");
  return el("td", { class: `date ${kind}` },
    el("time", { datetime: timestamp },
      el("span", { class: "day", text: day }), " ", el("span", { class: "clock", text: `${time} UTC` })));
}

function row(cert) {
  const tags = Object.entries(cert.tags || {});
  const tagCell = el("td", { class: "tags" });
  if (tags.length === 0) tagCell.append(el("span", { class: "none", text: "none" }));
  for (const [k, v] of tags) tagCell.append(el("span", { class: "tag", text: `${k}=${v}` }));
  const days = el("td", { class: "days" }, el("span", { class: "left", text: daysText(cert) }));
  if (cert.status !== "valid") days.append(el("span", { class: "badge", text: cert.status }));
  const description = cert.description == null
    ? el("td", { class: "description" }, el("span", { class: "none", text: "none" }))
    : el("td", { class: "description" }, el("span", { text: cert.description }));
  description.append(...stageLines(cert.stages || []));
  return el("tr", { class: cert.status, "data-id": cert.id, "data-status": cert.status },
    el("td", { class: "id", text: cert.id }),
    description,
    dateCell("created", cert.created),
    dateCell("expires", cert.expires),
    days,
    tagCell,
    el("td", {}, el("a", { class: "pem", href: cert.pemUrl, download: `${cert.id}.pem`, text: "PEM" })));
}

// The stages that present the certificate, under its description: what breaks when it expires.
function stageLines(stages) {
  return stages.map((s) => el("span", { class: "stage", text: `presented by stage ${s.stage} of ${s.restApiName}` }));
}

// One row per stage (or one for an API without stages): the certificate each presents.
function apiSection(apis) {
  const rows = [];
  for (const api of apis) {
    const stages = api.stages.length ? api.stages : [null];
    for (const s of stages) {
      rows.push(el("tr", { "data-api": api.id, "data-stage": s ? s.stage : "" },
        el("td", { class: "api", text: `${api.name} (${api.id})` }),
        el("td", { class: "stage", text: s ? s.stage : "no stage" }),
        el("td", { class: "deployment", text: s ? s.deploymentId : "" }),
        el("td", { class: "certificate", text: s && s.clientCertificateId ? s.clientCertificateId : "none" })));
    }
  }
  return el("div", { class: "apis" },
    el("h3", { text: "REST APIs and the certificate each stage presents" }),
    el("div", { class: "rows" },
      el("table", {}, el("thead", {}, el("tr", {},
        ...["REST API", "Stage", "Deployment", "Client certificate"].map((t) => el("th", { text: t })))),
      el("tbody", {}, ...rows))));
}

function warningsList(certs) {
  const warnings = certs.flatMap((c) => c.warnings || []);
  if (warnings.length === 0) return null;
  return el("ul", { class: "warnings", role: "alert" }, ...warnings.map((w) => el("li", { text: w })));
}

function scopeSection(account, region, certs) {
  const head = el("tr", {}, ...COLUMNS.map(([t]) => el("th", { text: t })));
  const body = el("tbody", {}, ...certs.map(row));
  const n = certs.length;
  const apis = state.apis.filter((a) => a.account === account && a.region === region);
  return el("section", { class: "scope", "data-account": account, "data-region": region },
    el("h2", { text: `${account} / ${region} ` },
      el("span", { class: "count", text: `(${n} certificate${n === 1 ? "" : "s"})` })),
    warningsList(certs),
    // The wrapper scrolls the table sideways when the window is narrower than the table can be.
    el("div", { class: "rows" },
      el("table", {}, el("colgroup", {}, ...COLUMNS.map(([, c]) => el("col", { class: c }))),
        el("thead", {}, head), body)),
    apis.length ? apiSection(apis) : null);
}

function fillSelect(select, values) {
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: "all" }),
    ...values.map((v) => el("option", { value: v, text: v })));
  if (values.includes(chosen)) select.value = chosen;
}

function offsetText(seconds) {
  if (!seconds) return "";
  const sign = seconds < 0 ? "-" : "+";
  const s = Math.abs(seconds);
  const text = s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : `${s}s`;
  return ` (clock offset ${sign}${text})`;
}

function render() {
  const data = state.data;
  if (!data) return;
  const account = document.getElementById("account").value;
  const region = document.getElementById("region").value;
  const certs = data.certificates.filter((c) =>
    (!account || c.account === account) && (!region || c.region === region));
  const groups = new Map();
  for (const c of certs) {
    const key = `${c.account} ${c.region}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  const container = document.getElementById("groups");
  container.replaceChildren(...[...groups.values()].map((g) => scopeSection(g[0].account, g[0].region, g)));
  const expiring = certs.filter((c) => c.status === "expiring").length;
  const expired = certs.filter((c) => c.status === "expired").length;
  const windowDays = Math.round(data.windowSeconds / 86400);
  const summary = document.getElementById("summary");
  summary.textContent = certs.length === 0
    ? `No certificates. Server time ${data.now}${offsetText(data.clockOffsetSeconds)}.`
    : `${certs.length} certificate${certs.length === 1 ? "" : "s"} in ${groups.size} account/region` +
      ` scope${groups.size === 1 ? "" : "s"}: ${expiring} expiring within ${windowDays} days, ${expired} expired.` +
      ` Server time ${data.now}${offsetText(data.clockOffsetSeconds)}.` +
      (data.truncated ? " Only the first certificates are shown: choose an account or region." : "");
  summary.dataset.expiring = String(expiring);
  summary.dataset.expired = String(expired);
}

async function load() {
  const error = document.getElementById("error");
  const within = document.getElementById("within").value.trim() || "30d";
  try {
    const response = await fetch(`/_certgate/api/certificates?within=${encodeURIComponent(within)}`,
      { cache: "no-store" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
    state.data = body;
    const apis = await fetch("/_certgate/api/restapis", { cache: "no-store" });
    const apiBody = await apis.json();
    if (!apis.ok) throw new Error(apiBody.message || `HTTP ${apis.status}`);
    state.apis = apiBody.restApis;
    error.hidden = true;
    const uniq = (f) => [...new Set(body.certificates.map(f))].sort();
    fillSelect(document.getElementById("account"), uniq((c) => c.account));
    fillSelect(document.getElementById("region"), uniq((c) => c.region));
    render();
  } catch (e) {
    error.textContent = `Could not load certificates: ${e.message}`;
    error.hidden = false;
  }
  document.body.dataset.loaded = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  document.getElementById("account").addEventListener("change", render);
  document.getElementById("region").addEventListener("change", render);
  load();
});
