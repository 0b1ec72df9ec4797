"use strict";
// The chart page: reads /charts/data, draws one Plotly chart per backend, hardware, engine and precision (with,
// beneath it, throughput against p99 for each model measured at several configurations), lists the points in a
// sortable table and polls /jobs so new results appear as workers finish them. A budget (latency, top-1) greys the
// points outside it, draws the frontier of those within it and asks GET /recommend which model to run.

// Model families come from GET /vocabulary; each gets the next style, in the vocabulary's order.
const STYLES = [
  { color: "#2563eb", symbol: "circle" }, { color: "#dc2626", symbol: "diamond" },
  { color: "#16a34a", symbol: "triangle-up" }, { color: "#9333ea", symbol: "square" },
  { color: "#ea580c", symbol: "star" }, { color: "#0891b2", symbol: "pentagon" }, { color: "#ca8a04", symbol: "hexagon" },
];
const NO_FAMILY = { color: "#6b7280", symbol: "x" };
const familyStyles = new Map(); // family name -> style, filled from the vocabulary before the first chart is drawn
const FILTERS = ["backend", "hardware", "precision", "suite", "max_memory_mb"]; // sent to /charts/data
const VIEW = ["size"]; // how points are drawn: kept in the address, never sent to the server
const SELECTS = ["backend", "hardware", "precision", "suite"];
const BUDGET = ["max_latency_ms", "percentile", "min_top1"]; // kept in the address; sent to /recommend, never to /charts/data
const PERCENTILES = [50, 90, 95, 99];
const BUDGET_WAIT_MS = 400; // typing in the budget: the charts follow once no key has come for this long
const OUTSIDE = { color: "#b8bec8", opacity: 0.3, text: "#c4c9d1" }; // a point outside the budget
const WITHIN = "#15803d"; // the frontier of the points within the budget
const CURVE_COLORS = [...STYLES.map((s) => s.color), "#be185d", "#4d7c0f", "#1e3a8a", "#92400e", "#0f766e"];
const LABEL_LIMIT = 60; // above this many points per chart only frontier points are labelled: labels would pile up
// Above this many curves a legend would bury the plot (the hover names each model) and Plotly's cost per trace adds
// up: the curves are drawn as one trace.
const CURVE_LEGEND_LIMIT = 20;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const PLOT_CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
const COLUMNS = [
  { key: "label", title: "Model" },
  { key: "family", title: "Family" },
  { key: "top1", title: "Top-1 %", digits: 2 },
  { key: "throughput", title: "Images/s", digits: 1 },
  { key: "throughput_ci95", title: "95% interval", cell: (p) => interval(p.throughput_ci95, 1, p.repeats),
    sortValue: (p) => (p.throughput_ci95 ? p.throughput_ci95[1] - p.throughput_ci95[0] : null) },
  { key: "throughput_cv", title: "CV %", digits: 1, scale: 100 },
  { key: "repeats", title: "Repeats", digits: 0 },
  { key: "latency_p50_ms", title: "p50 ms", digits: 2 },
  { key: "latency_p99_ms", title: "p99 ms", digits: 2 },
  { key: "batch_size", title: "Batch", digits: 0 },
  { key: "streams", title: "Streams", digits: 0 },
  { key: "precision", title: "Asked" },
  { key: "precision_used", title: "Ran in" },
  { key: "params_m", title: "Params (M)", digits: 1 },
  { key: "gflops", title: "GFLOPs", digits: 2 },
  { key: "peak_share", title: "% of peak", digits: 1, scale: 100 },
  { key: "peak_rss_mb", title: "Peak RSS MB", digits: 0 },
  { key: "device_memory_mb", title: "GPU MB", digits: 0 },
  { key: "artifact_mb", title: "Model MB", digits: 1 },
  { key: "frontier_certainty", title: "Frontier sure %", digits: 0, scale: 100 },
  { key: "hardware", title: "Hardware", wrap: true },
  { key: "runs", title: "Results", digits: 0, cell: (p) => `<a href="${escapeHtml(p.runs_url)}" target="_blank">${p.runs}</a>` },
  { key: "created_at", title: "Date", cell: (p) => `<span title="${formatDate(p.created_at)} UTC">${p.created_at.slice(0, 10)}</span>` },
];

const state = { points: [], sort: { key: "throughput", dir: -1 }, jobIds: null, sections: new Map(), loads: 0,
  charts: [], budget: null, budgetKey: "", budgetTimer: 0, drawing: 0 };
const $ = (selector) => document.querySelector(selector);

function escapeHtml(value) {
  const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return String(value ?? "").replace(/[&<>"']/g, (c) => entities[c]);
}

const formatters = new Map(); // one Intl.NumberFormat per precision: toLocaleString builds one per call, too slow for 1,000 rows
function formatNumber(value, digits) {
  if (value === null || value === undefined) return "—";
  if (!formatters.has(digits)) {
    formatters.set(digits, new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  }
  return formatters.get(digits).format(value);
}

const formatDate = (iso) => iso.slice(0, 16).replace("T", " ");

// A 95% interval as text; one run has none ("one run": unknown, never shown as zero). Two widely spread runs can
// give a low end at or below zero: throughput is then bounded above only.
function interval(ci, digits, repeats) {
  if (!ci) return repeats > 1 ? "—" : "one run";
  if (ci[0] <= 0) return `≤ ${formatNumber(ci[1], digits)}`;
  return `${formatNumber(ci[0], digits)}–${formatNumber(ci[1], digits)}`;
}

// The low end drawn on a log axis: a bound at or below zero is drawn down to a tenth of the mean.
const drawnLow = (p) => Math.max(p.throughput_ci95[0], p.throughput / 10);

function currentFilters() {
  const query = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.map((name) => [name, query.get(name) || ""]));
}

function currentView() {
  const query = new URLSearchParams(location.search);
  return Object.fromEntries(VIEW.map((name) => [name, query.get(name) || ""]));
}

function queryString(filters, extra = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...filters, ...extra })) if (value) query.set(name, value);
  return query.toString();
}

async function getJson(url) {
  return checked(await fetch(url, { headers: { accept: "application/json" } }).catch(() => null), url);
}

async function checked(response, url = response?.url) {
  if (!response) throw new Error(`the Speedboard API at ${location.host} did not answer; check that it is running, then reload`);
  if (!response.ok) {
    const body = await response.json().catch(() => ({})); // the API's errors say what to do in `message` or `detail`
    const why = body.message ?? (typeof body.detail === "string" ? body.detail : response.statusText);
    throw new Error(`${url} answered ${response.status}: ${why}`);
  }
  return response.json();
}

function showError(message) {
  Object.assign($("#error"), { textContent: message, hidden: !message });
}

async function loadVocabulary() {
  if (familyStyles.size) return;
  const vocabulary = await getJson("/vocabulary");
  vocabulary.families.forEach((family, i) => familyStyles.set(family, STYLES[i % STYLES.length]));
}

// body[data-rendered=true] and window.speedboardRendered (read by the render-time benchmark and the tests) mark the
// moment the last of the draws in flight (loads, budget changes) has finished.
function startDrawing() {
  state.drawing += 1;
  document.body.removeAttribute("data-rendered");
}

function doneDrawing() {
  state.drawing -= 1;
  if (state.drawing > 0) return;
  window.speedboardRendered = performance.now();
  document.body.dataset.rendered = "true";
}

async function loadCharts() {
  const load = ++state.loads; // a newer load (filter change, finished job) makes this one's answer stale
  startDrawing();
  try {
    await loadChartsOnce(load);
  } finally {
    doneDrawing();
  }
}

async function loadChartsOnce(load) {
  const filters = currentFilters();
  try {
    if (typeof Plotly === "undefined") throw new Error("plotly.js did not load from /static/plotly.min.js");
    const query = queryString(filters);
    const url = query ? `/charts/data?${query}` : "/charts/data";
    // The first load's request was sent by charts.html while plotly.js was still being parsed.
    const early = window.speedboardFirstData;
    window.speedboardFirstData = null;
    const data = await (early?.url === url ? early.promise.then(checked) : getJson(url));
    if (load !== state.loads) return;
    showError("");
    await loadVocabulary();
    if (load !== state.loads) return;
    fillFilters(data.options, filters);
    $("#csv").href = `/results?${queryString(filters, { format: "csv", limit: "10000" })}`;
    state.charts = data.charts;
    await renderCharts(data.charts);
    renderEmpty(data, filters);
    $("#plotted").textContent = data.charts.length ? `Each point is ${data.plotted}.` : "";
    state.points = data.charts.flatMap((chart) => chart.points);
    renderTable();
  } catch (error) {
    showError(`Could not load the charts: ${error.message}.`);
  }
}

function fillFilters(options, filters) {
  const choices = {
    backend: [["", "all backends"], ...options.backends.map((b) => [b, b])],
    hardware: [["", "all hardware"], ...options.hardware.map((h) => [h, h])],
    precision: [["", "every precision run"], ...options.precisions.map((p) => [p, p])],
    suite: [["", "all results"], ...options.suites.map((s) => [s.id,
      `${s.kind === "sweep" ? "sweep " : ""}${s.name} (${s.backend}, ${formatDate(s.created_at)})`])],
  };
  $("#filters input[name=max_memory_mb]").value = filters.max_memory_mb;
  $("#filters select[name=size]").value = currentView().size;
  for (const name of SELECTS) {
    const list = choices[name];
    if (filters[name] && !list.some(([value]) => value === filters[name])) list.push([filters[name], filters[name]]);
    const select = $(`#filters select[name=${name}]`);
    select.innerHTML = list.map(([value, text]) => `<option value="${escapeHtml(value)}">${escapeHtml(text)}</option>`).join("");
    select.value = filters[name];
  }
}

function renderEmpty(data, filters) {
  const filtered = Object.values(filters).some(Boolean);
  $("#empty-filtered").hidden = data.charts.length > 0 || !filtered;
  $("#empty").hidden = data.charts.length > 0 || filtered;
  for (const origin of document.querySelectorAll(".origin")) origin.textContent = location.origin;
  $("#results").hidden = data.charts.length === 0;
}

async function renderCharts(charts) {
  const keep = new Set(charts.map((chart) => chart.key));
  for (const [key, section] of [...state.sections].filter(([key]) => !keep.has(key))) {
    Plotly.purge(section.plot);
    Plotly.purge(section.curvePlot);
    section.element.remove();
    state.sections.delete(key);
  }
  const drawn = charts.map((chart) => {
    const section = state.sections.get(chart.key) ?? makeSection(chart);
    $("#charts").appendChild(section.element); // appending again keeps the sections in the data's order
    // The curves' sentences are written under the curves; the aside speaks of the speed-accuracy chart.
    const curveSentences = new Set(chart.curves.map((c) => c.insight));
    section.insights.innerHTML = sentences(chart.insights.filter((sentence) => !curveSentences.has(sentence)));
    section.curveInsights.innerHTML = sentences(chart.curves.map((c) => c.insight));
    return drawChart(section, chart);
  });
  await Promise.all(drawn);
}

const sentences = (list) => list.map((sentence) => `<li>${escapeHtml(sentence)}</li>`).join("");

// Both of a chart's plots, as the budget has them now, and its recommendation (asked for, not awaited).
async function drawChart(section, chart) {
  const { traces, layout } = figure(chart, state.budget);
  const main = Plotly.react(section.plot, traces, layout, PLOT_CONFIG).then((plot) => {
    if (!section.clickable) plot.on("plotly_click", openRuns);
    section.clickable = true;
  });
  await Promise.all([main, drawCurves(section, chart)]);
  recommend(section, chart);
}

async function drawCurves(section, chart) {
  const count = chart.curves.length;
  Object.assign(section.curves.dataset, {
    curves: String(count), configurations: String(chart.curves.reduce((sum, c) => sum + c.points.length, 0)) });
  section.curves.hidden = count === 0;
  if (count === 0) {
    Plotly.purge(section.curvePlot);
    return;
  }
  const { traces, layout } = curveFigure(chart, state.budget);
  const plot = await Plotly.react(section.curvePlot, traces, layout, PLOT_CONFIG);
  if (!section.curvesClickable) plot.on("plotly_click", openRuns);
  section.curvesClickable = true;
}

function makeSection(chart) {
  const element = document.createElement("section");
  element.className = "panel chart";
  element.dataset.key = chart.key;
  element.innerHTML = `<h2>${escapeHtml([chart.backend, chart.hardware, chart.engine, chart.precision].join(" · "))}</h2>
    <div class="chart-body"><div class="plot-scroll"><div class="plot"></div></div>
    <aside><div class="recommendation" data-state="off" hidden><h3>Within the budget</h3><p class="answer"></p>
      <h3 class="picks-title"></h3><ol class="picks"></ol></div>
    <h3>What the chart says</h3><ul class="insights"></ul></aside></div>
    <div class="curves" data-curves="0" hidden><h3>Throughput against p99 latency, per model</h3>
      <p class="muted curve-key">One line per model through its configurations (${chart.backend === "gpu" ? "b8: batch 8"
        : "b8×2: batch 8 × 2 streams"}), by p99.
        Filled: on the model's own front, nothing else gives more throughput at no more p99; hollow: another does.
        Ringed: the knee, the best trade of throughput for latency.</p>
      <div class="plot-scroll"><div class="curve-plot"></div></div><ul class="curve-insights"></ul></div>`;
  const find = (selector) => element.querySelector(selector);
  const section = { element, plot: find(".plot"), insights: find(".insights"), recommendation: find(".recommendation"),
    curves: find(".curves"), curvePlot: find(".curve-plot"), curveInsights: find(".curve-insights"),
    clickable: false, curvesClickable: false, asks: 0 };
  state.sections.set(chart.key, section);
  return section;
}

function openRuns(event) {
  const url = event.points[0]?.customdata?.[1];
  if (url) window.open(url, "_blank", "noopener");
}

function spread(p) {
  if (!p.throughput_ci95) return `one run: interval unknown`;
  return `95% interval ${interval(p.throughput_ci95, 1, p.repeats)} over ${p.repeats} runs, CV ${formatNumber(p.throughput_cv * 100, 1)}%`;
}

function memoryText(p) {
  const parts = [];
  if (p.peak_rss_mb !== null) parts.push(`peak RSS ${formatNumber(p.peak_rss_mb, 0)} MB`);
  if (p.device_memory_mb !== null) parts.push(`GPU memory ${formatNumber(p.device_memory_mb, 0)} MB`);
  if (p.artifact_mb !== null) parts.push(`model on disk ${formatNumber(p.artifact_mb, 1)} MB`);
  return parts.length ? `memory while measuring: ${parts.join(", ")}` : "memory not measured";
}

function peakText(p) {
  if (p.achieved_gflops === null) return "";
  const share = p.peak_share === null ? "no measured peak for this precision"
    : `<b>${formatNumber(p.peak_share * 100, 1)}%</b> of this machine's measured ${escapeHtml(p.precision_used)} peak`;
  return `${formatNumber(p.achieved_gflops, 1)} GFLOP/s achieved · ${share}`;
}

function gateText(p) {
  const gate = p.method_version < 2 ? `measured before the stability gate (method v${p.method_version}), ${p.stable ? "stable" : "unstable"}`
    : p.stable ? `stable after ${formatNumber(p.stable_after_s, 1)} s of measuring`
    : "unstable: windows still disagreed at 3× the duration";
  const sure = p.frontier_certainty === null ? "" : ` · on the frontier in ${formatNumber(p.frontier_certainty * 100, 0)}% of resamples`;
  return gate + sure;
}

function hoverText(p) {
  const tag = p.pretrained_tag ? ` <span style="color:#6b7280">(${escapeHtml(p.pretrained_tag)})</span>` : "";
  const top1 = p.top1 === null ? "top-1 unknown"
    : `top-1 <b>${formatNumber(p.top1, 2)}%</b> at ${p.top1_img_size}px (${escapeHtml(p.top1_source)})`;
  return [
    `<b>${escapeHtml(p.label)}</b>${tag} · ${escapeHtml(p.family ?? "family unknown")}`,
    top1,
    `<b>${formatNumber(p.throughput, 1)}</b> images/s (mean) · ${spread(p)}`,
    `latency p50 ${formatNumber(p.latency_p50_ms, 2)} ms, p99 ${formatNumber(p.latency_p99_ms, 2)} ms`,
    `batch ${p.batch_size} · ${p.streams} streams · ${p.input_size}px · ran in ${escapeHtml(p.precision_used)} (asked ${escapeHtml(p.precision)})`
      + (p.cuda_graphs ? " · CUDA graphs" : ""),
    `${formatNumber(p.params_m, 1)} M params · ${formatNumber(p.gflops, 2)} GFLOPs per image`,
    peakText(p),
    memoryText(p),
    escapeHtml(p.hardware),
    gateText(p),
    `${formatDate(p.created_at)} UTC · latest of ${p.runs} result${p.runs === 1 ? "" : "s"} · method v${p.method_version}`,
    `<i>click to open every result of this configuration</i>`,
  ].filter(Boolean).join("<br>");
}

// Error bars: each point's 95% interval around its mean; none (NaN) where one run leaves it unknown.
function errorBars(points, color) {
  return {
    type: "data", symmetric: false, visible: true, thickness: 1.5, width: 4, color,
    array: points.map((p) => (p.throughput_ci95 ? p.throughput_ci95[1] - p.throughput : NaN)),
    arrayminus: points.map((p) => (p.throughput_ci95 ? p.throughput - drawnLow(p) : NaN)),
  };
}

// Marker size: uniform, or by the share of the machine's peak (6 px at 0 %, 26 px at 100 %; unknown: small).
function markerSize(points) {
  if (currentView().size !== "peak_share") return 11;
  return points.map((p) => (p.peak_share === null ? 6 : 6 + 20 * Math.min(1, p.peak_share)));
}

function markerTrace(points, name, yaxis, style, labelAll, budget) {
  const trace = {
    type: "scatter", mode: "markers+text", name, xaxis: "x", yaxis, cliponaxis: false,
    x: points.map((p) => p.throughput),
    y: points.map((p) => (yaxis === "y" ? p.top1 : 0)),
    text: points.map((p) => (labelAll || p.frontier ? p.label : "")),
    textposition: "top center", textfont: { size: 11, color: "#374151" },
    marker: { size: markerSize(points), color: style.color, symbol: style.symbol, line: { width: 1, color: "#ffffff" } },
    error_x: errorBars(points, Array.isArray(style.color) ? "#6b7280" : style.color),
    customdata: points.map((p) => [hoverText(p), p.runs_url, p.result_id]),
    hovertemplate: "%{customdata[0]}<extra></extra>",
  };
  if (budget) greyOutside(trace, points, style, budget);
  return trace;
}

// Within a budget, the points outside it turn grey and faint, and their hover says which limit they break.
function greyOutside(trace, points, style, budget) {
  const outside = points.map((p) => outsideBudget(p, budget));
  const colorOf = (i) => (Array.isArray(style.color) ? style.color[i] : style.color);
  trace.marker.color = outside.map((why, i) => (why ? OUTSIDE.color : colorOf(i)));
  trace.marker.opacity = outside.map((why) => (why ? OUTSIDE.opacity : 1));
  trace.textfont.color = outside.map((why) => (why ? OUTSIDE.text : "#374151"));
  trace.customdata = trace.customdata.map(([hover, ...rest], i) => [
    outside[i] ? `${hover}<br><b style="color:#b91c1c">outside the budget: ${outside[i]}</b>` : hover, ...rest]);
}

// Why point p is outside the budget ("p99 14.00 ms > 10 ms"), or "" when it is within: a latency limit needs the
// percentile measured; a top-1 floor judges only a known top-1 (an unknown one cannot be judged, as GET /recommend
// ranks such points apart rather than dropping them).
function outsideBudget(p, budget) {
  const reasons = [];
  if (budget.maxLatency !== null) {
    const key = `p${budget.percentile}`;
    const ms = p.latency_ms?.[key];
    // As GET /recommend judges it: outside only when even the 95 % interval's low end is over (a straddling
    // interval "may meet" the budget and stays drawn).
    const low = p.latency_ci95?.[key]?.[0] ?? ms;
    if (ms === undefined || ms === null) reasons.push(`${key} not measured`);
    else if (low > budget.maxLatency) reasons.push(`${key} ${formatNumber(ms, 2)} ms > ${budget.maxLatency} ms`);
  }
  if (budget.minTop1 !== null && p.top1 !== null && p.top1 < budget.minTop1) {
    reasons.push(`top-1 ${formatNumber(p.top1, 2)}% < ${budget.minTop1}%`);
  }
  return reasons.join(", ");
}

// The Pareto frontier of points of known top-1 (no other is at least as fast and as accurate, and better on one), by
// increasing throughput, as GET /charts/data computes `frontier`: exact duplicates both stay.
function frontierOf(points) {
  const ordered = points.filter((p) => p.top1 !== null && p.throughput > 0)
    .sort((a, b) => b.throughput - a.throughput || b.top1 - a.top1);
  const frontier = [];
  let bestFaster = -Infinity; // the best top-1 among points strictly faster than the current group
  for (let i = 0, j = 0; i < ordered.length; i = j) {
    while (j < ordered.length && ordered[j].throughput === ordered[i].throughput) j += 1;
    const groupBest = ordered[i].top1;
    if (groupBest > bestFaster) frontier.push(...ordered.slice(i, j).filter((p) => p.top1 === groupBest));
    bestFaster = Math.max(bestFaster, groupBest);
  }
  return frontier.reverse();
}

function budgetFrontierTrace(chart, budget) {
  const frontier = frontierOf(chart.points.filter((p) => !outsideBudget(p, budget)));
  return {
    type: "scatter", mode: "lines+markers", name: "Frontier within the budget", xaxis: "x", yaxis: "y",
    hoverinfo: "skip", ids: frontier.map((p) => String(p.result_id)),
    x: frontier.map((p) => p.throughput), y: frontier.map((p) => p.top1),
    line: { color: WITHIN, width: 2.5 },
    marker: { symbol: "circle-open", size: 17, color: WITHIN, line: { width: 2, color: WITHIN } },
  };
}

// Within a budget, the points inside it first: a legend entry is drawn like its trace's first point.
function withinFirst(points, budget) {
  const inside = points.filter((p) => !outsideBudget(p, budget));
  return inside.length === points.length ? points : [...inside, ...points.filter((p) => outsideBudget(p, budget))];
}

function figure(chart, budget = null) {
  const points = budget ? withinFirst(chart.points, budget) : chart.points;
  const known = points.filter((p) => p.top1 !== null);
  const unknown = points.filter((p) => p.top1 === null);
  const labelAll = chart.points.length <= LABEL_LIMIT;
  const families = [...familyStyles.keys(), null].filter((f) => known.some((p) => p.family === f));
  const traces = families.map((family) => markerTrace(known.filter((p) => p.family === family), family ?? "family unknown",
    "y", familyStyles.get(family) ?? NO_FAMILY, labelAll, budget));
  const byId = new Map(chart.points.map((p) => [p.result_id, p]));
  const frontier = chart.frontier.map((id) => byId.get(id));
  traces.push({
    type: "scatter", mode: "lines", name: "Pareto frontier", xaxis: "x", yaxis: "y", hoverinfo: "skip",
    x: frontier.map((p) => p.throughput), y: frontier.map((p) => p.top1),
    line: { color: "#111827", width: 1.5, dash: "dash" }, opacity: budget ? 0.35 : 1,
  });
  if (budget) traces.push(budgetFrontierTrace(chart, budget));
  if (unknown.length) {
    const styles = unknown.map((p) => familyStyles.get(p.family) ?? NO_FAMILY);
    const style = { color: styles.map((s) => s.color), symbol: styles.map((s) => s.symbol) };
    // The strip's axis label says what it is, so it needs no legend entry.
    traces.push({ ...markerTrace(unknown, "accuracy unknown", "y2", style, labelAll, budget), showlegend: false });
  }
  const grid = { gridcolor: "#e5e7eb", linecolor: "#9ca3af", tickcolor: "#9ca3af", showline: true, ticks: "outside",
    zeroline: false };
  const layout = {
    height: 560, margin: { l: 90, r: 30, t: 50, b: 60 }, font: { family: FONT, size: 13, color: "#1f2933" },
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", hovermode: "closest",
    hoverlabel: { bgcolor: "#ffffff", bordercolor: "#d1d5db", font: { family: FONT, size: 12, color: "#111827" }, align: "left" },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 12 } },
    xaxis: { ...grid, ...logAxis(chart.points.flatMap((p) => (p.throughput_ci95 ? [drawnLow(p), p.throughput_ci95[1]] : [p.throughput]))),
      anchor: unknown.length ? "y2" : "y",
      title: { text: "Throughput (images/s, log scale)" } },
    yaxis: { ...grid, domain: unknown.length ? [0.2, 1] : [0, 1], title: { text: "ImageNet top-1 (%)" } },
  };
  if (unknown.length) {
    layout.yaxis2 = { ...grid, domain: [0, 0.12], range: [-1, 1], fixedrange: true, showgrid: false,
      tickvals: [0], ticktext: ["accuracy<br>unknown"], ticks: "" };
  }
  return { traces, layout };
}

// Plotly labels every digit of a short log axis (8 9 100 2 3 ...): choose round numbers that read as throughputs.
function logAxis(values) {
  const low = Math.log10(Math.min(...values)), high = Math.log10(Math.max(...values));
  const pad = Math.max(0.06, (high - low) * 0.06);
  const range = [low - pad, high + pad];
  const first = Math.floor(range[0]);
  const decades = Array.from({ length: Math.ceil(range[1]) - first + 1 }, (_, i) => 10 ** (first + i));
  const inRange = (mantissas) => decades.flatMap((d) => mantissas.map((m) => m * d))
    .filter((t) => Math.log10(t) >= range[0] && Math.log10(t) <= range[1]);
  const steps = [[1, 2, 5], [1, 2, 3, 5], [1, 1.5, 2, 3, 4, 5, 6, 8], [1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9]];
  const ticks = steps.map(inRange).find((t) => t.length >= 4) ?? inRange(steps.at(-1));
  const ticktext = ticks.map((t) => t.toLocaleString("en-US", { maximumSignificantDigits: 3 }));
  return { type: "log", range, tickvals: ticks, ticktext };
}

// A configuration as its marker names it: "b8×2" (batch 8 × 2 streams); on a GPU, one stream always: "b8".
const configName = (q, gpu) => (gpu ? `b${q.batch_size}` : `b${q.batch_size}×${q.streams}`);

function configText(q, gpu) {
  if (gpu) return `batch ${q.batch_size}`;
  return `batch ${q.batch_size} × ${q.streams} stream${q.streams === 1 ? "" : "s"}`;
}

function curveHover(curve, q, point, gpu) {
  const latency = point?.latency_ms ?? {};
  const others = ["p50", "p90", "p95"].filter((key) => typeof latency[key] === "number")
    .map((key) => `${key} ${formatNumber(latency[key], 2)}`);
  const roles = [q.result_id === curve.knee && "<b>the knee</b>: the best trade of throughput for latency",
    q.result_id === curve.best_throughput && "the most throughput", q.result_id === curve.best_latency && "the lowest p99"];
  return [
    `<b>${escapeHtml(curve.label)}</b> · ${configText(q, gpu)}`,
    `<b>${formatNumber(q.throughput, 1)}</b> images/s · p99 <b>${formatNumber(q.latency_p99_ms, 2)}</b> ms`
      + (others.length ? ` (${others.join(", ")} ms)` : ""),
    q.front ? "on the model's front: no other configuration gives more throughput at no more p99"
      : "off the front: another configuration gives more throughput at no more p99",
    roles.filter(Boolean).join(" · "),
    `<i>click to open every result of this configuration</i>`,
  ].filter(Boolean).join("<br>");
}

// One model's line, each configuration labelled; above LABEL_LIMIT configurations per chart the lines carry no
// text (labels would pile up, and cost): only the knees are labelled, by the knee trace.
function curveTrace(curve, index, byId, gpu, labelAll) {
  const color = CURVE_COLORS[index % CURVE_COLORS.length];
  const front = curve.points.map((q) => q.front);
  return {
    type: "scatter", mode: labelAll ? "lines+markers+text" : "lines+markers", name: curve.label, cliponaxis: false,
    x: curve.points.map((q) => q.latency_p99_ms), y: curve.points.map((q) => q.throughput),
    text: curve.points.map((q) => configName(q, gpu)),
    textposition: "top center", textfont: { size: 11, color: front.map((on) => (on ? "#1f2933" : "#9ca3af")) },
    line: { color, width: 1.5 },
    marker: { color, size: front.map((on) => (on ? 12 : 9)), symbol: front.map((on) => (on ? "circle" : "circle-open")),
      opacity: front.map((on) => (on ? 1 : 0.55)), line: { width: 1.5, color } },
    customdata: curve.points.map((q) => [curveHover(curve, q, byId.get(q.result_id), gpu), byId.get(q.result_id)?.runs_url,
      q.result_id]),
    hovertemplate: "%{customdata[0]}<extra></extra>",
  };
}

// Many curves as one trace: a gap between models, each model's colour on its markers, the lines grey.
function mergedCurves(lines) {
  const joined = (pick) => lines.flatMap((line, i) => [...(i ? [null] : []), ...pick(line)]);
  const each = (line, value) => (Array.isArray(value) ? value : line.x.map(() => value));
  const colors = joined((line) => each(line, line.marker.color));
  return {
    ...lines[0], name: `${lines.length} models`, connectgaps: false, line: { color: "#9ca3af", width: 1 },
    x: joined((line) => line.x), y: joined((line) => line.y), text: joined((line) => line.text),
    customdata: joined((line) => line.customdata), textfont: { ...lines[0].textfont, color: joined((line) => line.textfont.color) },
    marker: { color: colors, size: joined((line) => line.marker.size), symbol: joined((line) => line.marker.symbol),
      opacity: joined((line) => line.marker.opacity), line: { width: 1.5, color: colors } },
  };
}

// Throughput against p99 for each model measured at several configurations; the knees ringed; a p99 budget drawn.
function curveFigure(chart, budget) {
  const gpu = chart.backend === "gpu";
  const byId = new Map(chart.points.map((p) => [p.result_id, p]));
  const configs = chart.curves.flatMap((c) => c.points);
  const labelAll = configs.length <= LABEL_LIMIT;
  const lines = chart.curves.map((curve, i) => curveTrace(curve, i, byId, gpu, labelAll));
  const traces = lines.length > CURVE_LEGEND_LIMIT ? [mergedCurves(lines)] : lines;
  const knees = chart.curves.filter((c) => c.knee !== null).map((c) => c.points.find((q) => q.result_id === c.knee));
  if (knees.length) {
    traces.push({
      type: "scatter", mode: labelAll ? "markers" : "markers+text", name: "knee (best trade)", hoverinfo: "skip",
      ids: knees.map((q) => String(q.result_id)), x: knees.map((q) => q.latency_p99_ms), y: knees.map((q) => q.throughput),
      text: knees.map((q) => configName(q, gpu)), textposition: "top center", textfont: { size: 11, color: "#1f2933" },
      marker: { symbol: "circle-open", size: 24, color: "#111827", line: { width: 2.5, color: "#111827" } },
    });
  }
  const speeds = configs.map((q) => q.throughput);
  const grid = { gridcolor: "#e5e7eb", linecolor: "#9ca3af", tickcolor: "#9ca3af", showline: true, ticks: "outside",
    zeroline: false };
  const wide = Math.max(...speeds) > 10 * Math.min(...speeds); // models far apart in speed: a log axis shows them all
  const layout = {
    height: 440, margin: { l: 90, r: 30, t: 40, b: 60 }, font: { family: FONT, size: 13, color: "#1f2933" },
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", hovermode: "closest",
    hoverlabel: { bgcolor: "#ffffff", bordercolor: "#d1d5db", font: { family: FONT, size: 12, color: "#111827" }, align: "left" },
    showlegend: chart.curves.length <= CURVE_LEGEND_LIMIT,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 12 } },
    xaxis: { ...grid, ...logAxis(configs.map((q) => q.latency_p99_ms)), title: { text: "p99 latency (ms, log scale)" } },
    yaxis: { ...grid, ...(wide ? logAxis(speeds) : { rangemode: "tozero" }),
      title: { text: `Throughput (images/s${wide ? ", log scale" : ""})` } },
  };
  if (budget && budget.maxLatency !== null && budget.percentile === 99) { // the axis is p99: the limit is a line
    layout.shapes = [{ type: "line", xref: "x", yref: "paper", x0: budget.maxLatency, x1: budget.maxLatency, y0: 0, y1: 1,
      line: { color: "#b91c1c", width: 1.5, dash: "dot" } }];
    layout.annotations = [{ xref: "x", yref: "paper", x: Math.log10(budget.maxLatency), y: 1, yanchor: "bottom",
      text: `budget: p99 ≤ ${budget.maxLatency} ms`, showarrow: false, font: { size: 11, color: "#b91c1c" } }];
  }
  return { traces, layout };
}

function renderTable() {
  const head = $("#results-table thead tr");
  if (!head.children.length) {
    head.innerHTML = COLUMNS.map((c) => `<th data-key="${c.key}" class="${cellClass(c)}" tabindex="0">${c.title}</th>`).join("");
  }
  for (const th of head.children) {
    const sorted = th.dataset.key === state.sort.key;
    th.setAttribute("aria-sort", sorted ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
  }
  const needle = $("#table-filter").value.trim().toLowerCase();
  const matches = (p) => [p.label, p.family, p.hardware].some((v) => (v ?? "").toLowerCase().includes(needle));
  const rows = needle ? state.points.filter(matches) : [...state.points];
  const { key, dir } = state.sort;
  const sortColumn = COLUMNS.find((c) => c.key === key);
  const value = sortColumn?.sortValue ?? ((p) => p[key]);
  rows.sort((a, b) => compareValues(value(a), value(b), dir));
  const cells = (p) => COLUMNS.map((c) => `<td class="${cellClass(c)}">${cellHtml(c, p)}</td>`).join("");
  const html = rows.map((p) => `<tr class="${p.frontier ? "on-frontier" : ""}">${cells(p)}</tr>`);
  $("#results-table tbody").innerHTML = html.join("");
  $("#row-count").textContent = `${rows.length} of ${state.points.length} points · models in bold are on the frontier`
    + " · intervals are 95% (Student's t over repeats)";
}

const cellClass = (column) => (column.digits !== undefined ? "num" : column.wrap ? "wrap" : "");

function cellHtml(column, point) {
  if (column.cell) return column.cell(point);
  if (column.digits === undefined) return escapeHtml(point[column.key] ?? "—");
  const value = point[column.key];
  return formatNumber(value === null || value === undefined ? value : value * (column.scale ?? 1), column.digits);
}

function compareValues(a, b, dir) {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1; // unknowns last either way
  if (b === null || b === undefined) return -1;
  return dir * (typeof a === "number" ? a - b : String(a).localeCompare(String(b)));
}

function sortBy(key) {
  state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
  renderTable();
}

async function pollJobs() {
  let jobs = null;
  try {
    const [running, queued] = await Promise.all([getJson("/jobs?status=running"), getJson("/jobs?status=queued")]);
    jobs = [...running.items, ...queued.items];
    renderJobs(jobs);
  } catch (error) {
    $("#jobs-idle").hidden = false;
    $("#jobs-idle").textContent = `Could not read the job list (${error.message}); trying again.`;
  }
  if (jobs) {
    const ids = new Set(jobs.map((job) => job.id));
    const finished = state.jobIds !== null && [...state.jobIds].some((id) => !ids.has(id));
    state.jobIds = ids;
    if (finished) loadCharts(); // a job left the list: its result (if any) belongs on the charts now
  }
  setTimeout(pollJobs, jobs?.length ? 2000 : 10000);
}

function renderJobs(jobs) {
  $("#jobs-idle").hidden = jobs.length > 0;
  $("#jobs-idle").textContent = "No jobs running or queued.";
  $("#job-list").innerHTML = jobs.map((job) => {
    const percent = Math.round((job.progress ?? 0) * 100);
    return `<li class="job ${escapeHtml(job.status)}">
      <div class="job-title"><b>${escapeHtml(job.model)}</b> <span class="badge">${escapeHtml(job.backend)}</span>
        <span class="status">${escapeHtml(job.status)}${job.stage ? ` · ${escapeHtml(job.stage)}` : ""}</span></div>
      <div class="bar" role="progressbar" aria-valuenow="${percent}"><span style="width:${percent}%"></span></div>
      <div class="job-detail muted">${percent}%${job.detail ? ` · ${escapeHtml(job.detail)}` : ""}</div></li>`;
  }).join("");
}

// --- the budget -----------------------------------------------------------------------------------------------------

// The budget as typed ({max_latency_ms, percentile, min_top1}, strings): { budget, error }. budget is null when no
// limit is set or one is wrong; error says what is wrong, in a sentence, or is "".
function parseBudget(values) {
  const text = (name) => String(values[name] ?? "").trim();
  const number = (name) => (text(name) === "" ? null : Number(text(name)));
  const maxLatency = number("max_latency_ms"), minTop1 = number("min_top1");
  const percentile = Number(text("percentile") || 99);
  const errors = [];
  if (maxLatency !== null && !(Number.isFinite(maxLatency) && maxLatency > 0)) {
    errors.push(`Max latency must be a number of milliseconds above 0, not “${text("max_latency_ms")}”`);
  }
  if (minTop1 !== null && !(Number.isFinite(minTop1) && minTop1 >= 0 && minTop1 <= 100)) {
    errors.push(`Min top-1 must be a percentage from 0 to 100, not “${text("min_top1")}”`);
  }
  if (!PERCENTILES.includes(percentile)) {
    errors.push(`The percentile must be one of ${PERCENTILES.map((p) => `p${p}`).join(", ")}, not “${text("percentile")}”`);
  }
  if (errors.length) return { budget: null, error: `${errors.join("; ")}: no budget is applied until it is fixed.` };
  if (maxLatency === null && minTop1 === null) return { budget: null, error: "" };
  return { budget: { maxLatency, percentile, minTop1 }, error: "" };
}

// The budget's part of the address (and of a /recommend query): only the limits set; p99, the default, unsaid.
function budgetQuery(budget) {
  if (!budget) return {};
  return { max_latency_ms: budget.maxLatency === null ? "" : String(budget.maxLatency),
    percentile: budget.maxLatency === null || budget.percentile === 99 ? "" : String(budget.percentile),
    min_top1: budget.minTop1 === null ? "" : String(budget.minTop1) };
}

function addressBudget() {
  const query = new URLSearchParams(location.search);
  return Object.fromEntries(BUDGET.map((name) => [name, query.get(name) || ""]));
}

// The panel's inputs from the address: at the start and on back/forward only, so that what is being typed survives
// every redraw and every poll.
function fillBudget() {
  const values = addressBudget();
  const form = $("#budget");
  form.elements.max_latency_ms.value = values.max_latency_ms;
  form.elements.min_top1.value = values.min_top1;
  form.elements.percentile.value = PERCENTILES.map(String).includes(values.percentile) ? values.percentile : "99";
  useBudget(parseBudget(values));
}

// Takes a parsed budget; true when it differs from the one the charts show.
function useBudget({ budget, error }) {
  Object.assign($("#budget-message"), { textContent: error, hidden: !error });
  const key = queryString(budgetQuery(budget)); // "" exactly when no budget applies
  $("#budget").dataset.applied = key;
  if (key === state.budgetKey) return false;
  state.budget = budget;
  state.budgetKey = key;
  return true;
}

function onBudgetInput(event) {
  clearTimeout(state.budgetTimer);
  const typing = event.type === "input" && event.target.tagName === "INPUT";
  state.budgetTimer = setTimeout(applyBudget, typing ? BUDGET_WAIT_MS : 0);
}

function applyBudget() {
  clearTimeout(state.budgetTimer);
  const form = new FormData($("#budget"));
  if (!useBudget(parseBudget(Object.fromEntries(BUDGET.map((name) => [name, form.get(name)]))))) return;
  setAddress(false);
  redrawBudget();
}

function clearBudget() {
  const form = $("#budget");
  form.elements.max_latency_ms.value = form.elements.min_top1.value = "";
  form.elements.percentile.value = "99";
  applyBudget();
}

// Redraws every chart with the budget now set; no data is fetched again, only each chart's recommendation.
async function redrawBudget() {
  startDrawing();
  try {
    await Promise.all(state.charts.map((chart) => drawChart(state.sections.get(chart.key), chart)));
  } catch (error) {
    showError(`Could not draw the budget: ${error.message}.`);
  } finally {
    doneDrawing();
  }
}

// What GET /recommend says for this chart's backend, hardware, engine and precision within the budget (and the
// memory filter, when set): its answer and the first three configurations it lists. One request per chart per draw.
async function recommend(section, chart) {
  const box = section.recommendation;
  const ask = ++section.asks; // a newer draw's question makes this one's answer stale
  if (!state.budget) {
    box.hidden = true;
    Object.assign(box.dataset, { state: "off", query: "" });
    return;
  }
  const query = queryString({ backend: chart.backend, hardware: chart.hardware, engine: chart.engine,
    precision: chart.precision, ...budgetQuery(state.budget), max_memory_mb: currentFilters().max_memory_mb,
    suite: currentFilters().suite, limit: "3", misses: "3" });
  Object.assign(box.dataset, { state: "loading", query });
  box.hidden = false;
  try {
    const found = await getJson(`/recommend?${query}`);
    if (ask !== section.asks) return;
    showRecommendation(box, found);
    box.dataset.state = "ready";
  } catch (error) {
    if (ask !== section.asks) return;
    box.querySelector(".answer").textContent = `Could not ask for a recommendation: ${error.message}.`;
    box.querySelector(".picks-title").textContent = "";
    box.querySelector(".picks").innerHTML = "";
    box.dataset.state = "error";
  }
}

function showRecommendation(box, found) {
  const [title, picks] = found.items.length ? ["Most accurate within the budget", found.items]
    : found.unranked.length ? ["Within the budget, accuracy unknown", found.unranked]
    : ["Nearest misses", found.misses];
  box.querySelector(".answer").textContent = found.answer;
  box.querySelector(".picks-title").textContent = picks.length ? title : "";
  box.querySelector(".picks").innerHTML = picks.slice(0, 3)
    .map((item) => `<li><b>${escapeHtml(item.label)}</b>: ${escapeHtml(item.reason)}</li>`).join("");

}

// The address holds the filters, the view and the budget; a filter change is a step back can undo, a budget is not.
function setAddress(push, filters = currentFilters(), view = currentView()) {
  const query = queryString({ ...filters, ...view, ...budgetQuery(state.budget) });
  const url = query ? `?${query}` : location.pathname;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

function onFilterChange() {
  const form = new FormData($("#filters"));
  const pick = (names) => Object.fromEntries(names.map((name) => [name, form.get(name)]));
  setAddress(true, pick(FILTERS), pick(VIEW));
  loadCharts();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#filters").addEventListener("change", onFilterChange);
  $("#budget").addEventListener("input", onBudgetInput);
  $("#budget").addEventListener("change", onBudgetInput);
  $("#budget").addEventListener("submit", (event) => { event.preventDefault(); applyBudget(); });
  $("#budget-clear").addEventListener("click", clearBudget);
  $("#table-filter").addEventListener("input", renderTable);
  $("#results-table thead").addEventListener("click", (event) => event.target.dataset.key && sortBy(event.target.dataset.key));
  $("#results-table thead").addEventListener("keydown", (event) => event.key === "Enter" && sortBy(event.target.dataset.key));
  window.addEventListener("popstate", () => {
    fillBudget();
    loadCharts();
  });
  fillBudget();
  loadCharts();
  pollJobs();
});
