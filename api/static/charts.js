"use strict";
// The chart page: reads /charts/data, draws one Plotly chart per backend, hardware, engine and precision (with,
// beneath it, throughput against p99 for each model measured at several configurations), lists the points in a
// sortable table and polls /jobs so new results appear as workers finish them. A budget (latency, top-1) greys the
// points outside it, draws the frontier of those within it and asks GET /recommend which model to run. With
// overlay=precision, an engine's precisions share one chart, each model's points joined by a line.

// Model families come from GET /vocabulary; each gets the next style, in the vocabulary's order.
const STYLES = [
  { color: "#2563eb", symbol: "circle" }, { color: "#dc2626", symbol: "diamond" },
  { color: "#16a34a", symbol: "triangle-up" }, { color: "#9333ea", symbol: "square" },
  { color: "#ea580c", symbol: "star" }, { color: "#0891b2", symbol: "pentagon" }, { color: "#ca8a04", symbol: "hexagon" },
];
const NO_FAMILY = { color: "#6b7280", symbol: "x" };
const familyStyles = new Map(); // family name -> style, filled from the vocabulary before the first chart is drawn
// On an overlaid chart colour says the precision (what the chart compares) and the symbol keeps the family. The
// order is that of a model's line (shared.analysis.precisions.ORDER): widest to narrowest.
const PRECISION_COLORS = { fp32: "#2563eb", bf16: "#16a34a", fp16: "#9333ea", int8: "#ea580c" };
const OVERLAID = "all"; // an overlaid chart's precision: every precision that ran
const UNVERIFIED = "#b45309"; // what says a top-1 is the published float figure, not the engine's own
const FILTERS = ["backend", "hardware", "precision", "suite", "max_memory_mb", "overlay"]; // sent to /charts/data
const VIEW = ["size"]; // how points are drawn: kept in the address, never sent to the server
const SELECTS = ["backend", "hardware", "precision", "suite"];
const LABEL_LIMIT = 60; // above this many points per chart only frontier points are labelled: labels would pile up
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const PLOT_CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
const COLUMNS = [
  { key: "label", title: "Model" },
  { key: "family", title: "Family" },
  { key: "top1", title: "Top-1 %", digits: 2, cell: top1Cell },
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
  { key: "precision_used", title: "Ran in", cell: (p) => escapeHtml(p.precision_used)
    + (p.calibration ? ` <span class="muted">(${escapeHtml(p.calibration)} calibration)</span>` : "") },
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

// Every user string (model names, labels, tags, hardware, sources, job details) goes through this before it reaches
// innerHTML or Plotly, which draws a subset of HTML (<a href>, <b>, <br>, <span style>) in text, hover and legends.
// Quotes are numeric entities: Plotly decodes only a few named ones (&amp; &lt; &gt;) and would show "&quot;" as is.
function escapeHtml(value) {
  const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
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
    // The overlay is how the charts are drawn, not which results: the CSV is the same without it.
    // The Precision filter is the precision that ran (as the charts are drawn): /results calls it precision_used.
    // The overlay is how the charts are drawn, not which results: the CSV is the same without it.
    const csv = { ...filters, overlay: "", precision: "", precision_used: filters.precision };
    $("#csv").href = `/results?${queryString(csv, { format: "csv", limit: "10000" })}`;
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
  $("#filters select[name=overlay]").value = filters.overlay;
  for (const name of SELECTS) {
    const list = choices[name];
    if (filters[name] && !list.some(([value]) => value === filters[name])) list.push([filters[name], filters[name]]);
    const select = $(`#filters select[name=${name}]`);
    select.replaceChildren(...list.map(([value, text]) => new Option(text, value))); // hardware and sweep names: as text
    select.value = filters[name];
  }
}

function renderEmpty(data, filters) {
  // Overlaying leaves out no result: with nothing measured the page says so, not that a filter matched nothing.
  const filtered = Object.entries(filters).some(([name, value]) => value && name !== "overlay");
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
    section.title.textContent = chartTitle(chart); // an overlaid chart's precisions grow as new ones are measured
    // The curves' sentences are written under the curves; the aside speaks of the speed-accuracy chart.
    const curveSentences = new Set(chart.curves.map((c) => c.insight));
    section.insights.replaceChildren(...textItems(chart.insights.filter((sentence) => !curveSentences.has(sentence))));
    section.curveInsights.replaceChildren(...textItems(chart.curves.map((c) => c.insight)));
    return drawChart(section, chart);
  });
  await Promise.all(drawn);
}

// List items holding each text as text: insights quote model labels and hardware names.
const textItems = (texts) => texts.map((text) => Object.assign(document.createElement("li"), { textContent: text }));

// Precisions in the order a model's line visits them (fp32, bf16, fp16, int8), any other after.
function inLineOrder(precisions) {
  const rank = (p) => { const i = Object.keys(PRECISION_COLORS).indexOf(p); return i < 0 ? Infinity : i; };
  return [...precisions].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function chartTitle(chart) {
  if (chart.precision !== OVERLAID) return [chart.backend, chart.hardware, chart.engine, chart.precision].join(" · ");
  const each = inLineOrder(chart.precisions).map((p) => (p === chart.default_precision ? `${p} (default)` : p));
  return [chart.backend, chart.hardware, chart.engine, `precisions ${each.join(", ")}`].join(" · ");
}

// Both of a chart's plots, as the budget has them now, and its recommendation (asked for, not awaited).
async function drawChart(section, chart) {
  const { traces, layout } = figure(chart, state.budget);
  const main = Plotly.react(section.plot, traces, layout, PLOT_CONFIG).then((plot) => {
    if (!section.clickable) plot.on("plotly_click", openRuns);
    section.clickable = true;
  });
  await Promise.all([main, drawCurves(section, chart)]);
  recommend(section, recommendable(chart));
}

// GET /recommend takes a precision that ran, never "all": an overlaid chart asks about every precision it shows,
// the Precision filter's alone when one is set.
const recommendable = (chart) => (chart.precision === OVERLAID ? { ...chart, precision: currentFilters().precision } : chart);

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
  element.innerHTML = `<h2></h2>
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
  const section = { element, title: find("h2"), plot: find(".plot"), insights: find(".insights"),
    recommendation: find(".recommendation"),
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

// What the table and the hover say of a top-1 that is the float model's published figure, not the engine's own.
const unverifiedText = (p) => `accuracy unverified (${escapeHtml(p.accuracy_unverified)}): the published top-1 of the float model`;

function top1Cell(p) {
  const value = formatNumber(p.top1, 2);
  if (!p.accuracy_unverified) return value;
  const title = `${unverifiedText(p)}, not measured on this engine`;
  return `<span class="unverified" title="${title}">${value} <small>(unverified: ${escapeHtml(p.accuracy_unverified)})</small></span>`;
}

function top1Text(p) {
  if (p.top1 === null) return "top-1 unknown";
  const top1 = `top-1 <b>${formatNumber(p.top1, 2)}%</b> at ${p.top1_img_size}px (${escapeHtml(p.top1_source)})`;
  return p.accuracy_unverified ? `${top1} · <b style="color:${UNVERIFIED}">${unverifiedText(p)}</b>` : top1;
}

function hoverText(p, gain = "") {
  const tag = p.pretrained_tag ? ` <span style="color:#6b7280">(${escapeHtml(p.pretrained_tag)})</span>` : "";
  return [
    `<b>${escapeHtml(p.label)}</b>${tag} · ${escapeHtml(p.family ?? "family unknown")}`,
    top1Text(p),
    `<b>${formatNumber(p.throughput, 1)}</b> images/s (mean) · ${spread(p)}`,
    gain,
    `latency p50 ${formatNumber(p.latency_p50_ms, 2)} ms, p99 ${formatNumber(p.latency_p99_ms, 2)} ms`,
    `batch ${p.batch_size} · ${p.streams} streams · ${p.input_size}px · ran in ${escapeHtml(p.precision_used)} (asked ${escapeHtml(p.precision)})`
      + (p.calibration ? ` · calibrated on ${escapeHtml(p.calibration)} inputs` : "") + (p.cuda_graphs ? " · CUDA graphs" : ""),
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

// On an overlaid chart: each point's throughput against its model's at the default precision, as the hover says it.
function gains(chart) {
  const found = new Map();
  for (const line of chart.lines) {
    for (const [i, id] of line.points.entries()) {
      const ratio = line.speedups[line.precisions[i]];
      if (ratio !== undefined) {
        found.set(id, `<b>${formatNumber(ratio, ratio < 1.995 ? 2 : 1)}×</b> the throughput of ${escapeHtml(line.label)} at `
          + `the default precision (${escapeHtml(chart.default_precision)})`);
      }
    }
  }
  return found;
}

function markerTrace(points, name, yaxis, style, labelAll, budget, gainOf = new Map()) {
  const trace = {
    type: "scatter", mode: "markers+text", name, xaxis: "x", yaxis, cliponaxis: false,
    x: points.map((p) => p.throughput),
    y: points.map((p) => (yaxis === "y" ? p.top1 : 0)),
    text: points.map((p) => (labelAll || p.frontier ? escapeHtml(p.label) : "")),
    textposition: "top center", textfont: { size: 11, color: "#374151" },
    // An open symbol is drawn in the marker's colour with the line's width: 2 px reads as hollow at a glance.
    marker: { size: markerSize(points), color: style.color, symbol: style.symbol,
      line: { width: points.map((p) => (p.accuracy_unverified ? 2 : 1)), color: "#ffffff" } },
    error_x: errorBars(points, Array.isArray(style.color) ? "#6b7280" : style.color),
    customdata: points.map((p) => [hoverText(p, gainOf.get(p.result_id)), p.runs_url, p.result_id]),
    hovertemplate: "%{customdata[0]}<extra></extra>",
  };
  if (budget) greyOutside(trace, points, style, budget);
  return trace;
}

// A point's marker: its family's colour and symbol, or on an overlaid chart its precision's colour; the symbol hollow
// when its top-1 is the published figure of the float model, not measured on this engine.
function pointStyle(p, overlaid) {
  const family = familyStyles.get(p.family) ?? NO_FAMILY;
  return { color: overlaid ? PRECISION_COLORS[p.precision_used] ?? NO_FAMILY.color : family.color,
    symbol: p.accuracy_unverified ? `${family.symbol}-open` : family.symbol };
}

function styleOf(points, overlaid) {
  const styles = points.map((p) => pointStyle(p, overlaid));
  return { color: styles.map((s) => s.color), symbol: styles.map((s) => s.symbol) };
}

// The traces of the points of known top-1: one per family, or on an overlaid chart one per precision (its colour).
function groupTraces(chart, known, labelAll, budget) {
  const overlaid = chart.precision === OVERLAID;
  const gainOf = overlaid ? gains(chart) : new Map();
  const groups = overlaid
    ? inLineOrder(new Set(known.map((p) => p.precision_used))).map((precision) => [
      `${precision.toUpperCase()}${precision === chart.default_precision ? " (default)" : ""}`,
      known.filter((p) => p.precision_used === precision)])
    : [...familyStyles.keys(), null].filter((f) => known.some((p) => p.family === f))
      .map((family) => [family ?? "family unknown", known.filter((p) => p.family === family)]);
  return groups.map(([name, members]) => {
    const { color, symbol } = styleOf(members, overlaid);
    // One colour per trace keeps its legend entry and error bars in that colour; one symbol, when all share it.
    const style = { color: color[0], symbol: symbol.every((s) => s === symbol[0]) ? symbol[0] : symbol };
    return markerTrace(members, escapeHtml(name), "y", style, labelAll, budget, gainOf);
  });
}

// Each model's points at its precisions joined, thin and grey beneath the markers, as one trace per subplot (a gap
// between models): one legend entry says what the lines are. Models of unknown top-1 are joined on their strip.
function lineTraces(chart, strip) {
  const byId = new Map(chart.points.map((p) => [p.result_id, p]));
  const joined = chart.lines.map((line) => line.points.map((id) => byId.get(id)).filter(Boolean));
  const traceOn = (yaxis, lines) => ({
    type: "scatter", mode: "lines", name: "same model, other precision", xaxis: "x", yaxis, hoverinfo: "skip",
    x: lines.flatMap((ps, i) => [...(i ? [null] : []), ...ps.map((p) => p.throughput)]),
    y: lines.flatMap((ps, i) => [...(i ? [null] : []), ...ps.map((p) => (yaxis === "y" ? p.top1 : 0))]),
    connectgaps: false, line: { color: "#6b7280", width: 1.2 }, opacity: 0.7, legendrank: 1001,
  });
  const known = joined.filter((ps) => ps.length > 1 && ps.every((p) => p.top1 !== null));
  const unknown = joined.filter((ps) => ps.length > 1 && ps.every((p) => p.top1 === null));
  const traces = known.length ? [traceOn("y", known)] : [];
  if (strip && unknown.length) traces.push({ ...traceOn("y2", unknown), showlegend: known.length === 0 });
  return traces;
}

// A legend entry alone (no point drawn): it explains a marking that the points carry.
function legendKey(name, symbol, legendrank = 1000) {
  return { type: "scatter", mode: "markers", name, x: [null], y: [null], xaxis: "x", yaxis: "y", hoverinfo: "skip",
    legendrank, marker: { size: 11, color: NO_FAMILY.color, symbol, line: { width: 2, color: NO_FAMILY.color } } };
}

// On an overlaid chart colour says the precision: the families' symbols need saying too.
function familyKeys(chart) {
  if (chart.precision !== OVERLAID) return [];
  const families = [...familyStyles.keys(), null].filter((f) => chart.points.some((p) => p.family === f));
  return families.map((f) => legendKey(escapeHtml(f ?? "family unknown"), (familyStyles.get(f) ?? NO_FAMILY).symbol));
}

// One entry for the hollow marking, last in the legend, whichever families and precisions carry it.
function unverifiedKey(chart) {
  const reasons = [...new Set(chart.points.map((p) => p.accuracy_unverified).filter(Boolean))];
  return reasons.length ? [legendKey(`accuracy unverified (${escapeHtml(reasons.join(", "))})`, "circle-open", 1002)] : [];
}

function figure(chart, budget = null) {
  const points = budget ? withinFirst(chart.points, budget) : chart.points;
  const known = points.filter((p) => p.top1 !== null);
  const unknown = points.filter((p) => p.top1 === null);
  const labelAll = chart.points.length <= LABEL_LIMIT;
  // The lines drawn first, so beneath every marker; the families' keys listed beside the precisions.
  const traces = [...lineTraces(chart, unknown.length > 0), ...groupTraces(chart, known, labelAll, budget),
    ...familyKeys(chart)];
  const byId = new Map(chart.points.map((p) => [p.result_id, p]));
  const frontier = chart.frontier.map((id) => byId.get(id));
  traces.push({
    type: "scatter", mode: "lines", name: "Pareto frontier", xaxis: "x", yaxis: "y", hoverinfo: "skip",
    x: frontier.map((p) => p.throughput), y: frontier.map((p) => p.top1),
    line: { color: "#111827", width: 1.5, dash: "dash" }, opacity: budget ? 0.35 : 1,
  });
  if (budget) traces.push(budgetFrontierTrace(chart, budget));
  if (unknown.length) {
    const style = styleOf(unknown, chart.precision === OVERLAID);
    // The strip's axis label says what it is, so it needs no legend entry.
    const gainOf = chart.precision === OVERLAID ? gains(chart) : new Map();
    traces.push({ ...markerTrace(unknown, "accuracy unknown", "y2", style, labelAll, budget, gainOf), showlegend: false });
  }
  traces.push(...unverifiedKey(chart));
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
      <div class="job-detail muted">${percent}%${job.detail ? ` · ${escapeHtml(job.detail)}` : ""}${job.owner ? ` · queued by ${escapeHtml(job.owner)}` : ""}</div></li>`;
  }).join("");
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
