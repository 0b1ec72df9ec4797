"use strict";
// The budget panel: a latency limit at a percentile and a top-1 floor. Points outside it turn grey, each chart
// draws the frontier of those within it and writes what GET /recommend answers. Loaded after charts.js.

const BUDGET = ["max_latency_ms", "percentile", "min_top1"]; // kept in the address; sent to /recommend, never to /charts/data
const PERCENTILES = [50, 90, 95, 99];
const BUDGET_WAIT_MS = 400; // typing in the budget: the charts follow once no key has come for this long
const OUTSIDE = { color: "#b8bec8", opacity: 0.3, text: "#c4c9d1" }; // a point outside the budget
const WITHIN = "#15803d"; // the frontier of the points within the budget

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
  // A top-1 unverified on its engine (int8, random calibration) is not judged by the floor, as /recommend leaves it unranked.
  if (budget.minTop1 !== null && p.top1 !== null && !p.accuracy_unverified && p.top1 < budget.minTop1) {
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
  // A top-1 floor cannot be judged on an unverified top-1 (int8, random calibration): such a point stays drawn but is
  // not on the frontier within the budget, as /recommend leaves it unranked.
  const judged = (p) => !outsideBudget(p, budget) && !(budget.minTop1 !== null && p.accuracy_unverified);
  const frontier = frontierOf(chart.points.filter(judged));
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
    box.querySelector(".picks").replaceChildren();
    box.dataset.state = "error";
  }
}

function showRecommendation(box, found) {
  const [title, picks] = found.items.length ? ["Most accurate within the budget", found.items]
    : found.unranked.length ? ["Within the budget, accuracy unknown", found.unranked]
    : ["Nearest misses", found.misses];
  box.querySelector(".answer").textContent = found.answer;
  box.querySelector(".picks-title").textContent = picks.length ? title : "";
  box.querySelector(".picks").replaceChildren(...picks.slice(0, 3).map(pickItem));
}

// One configuration the recommendation lists: its label in bold, then why; both set as text.
function pickItem(item) {
  const li = document.createElement("li");
  li.append(Object.assign(document.createElement("b"), { textContent: item.label }), `: ${item.reason}`);
  return li;
}
