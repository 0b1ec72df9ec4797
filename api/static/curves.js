"use strict";
// Throughput against p99 latency for each model measured at several configurations (a sweep's), beneath its
// speed-accuracy chart: one line per model, its own front filled, its knee ringed. Loaded after charts.js.

const CURVE_COLORS = [...STYLES.map((s) => s.color), "#be185d", "#4d7c0f", "#1e3a8a", "#92400e", "#0f766e"];
// Above this many curves a legend would bury the plot (the hover names each model) and Plotly's cost per trace adds
// up: the curves are drawn as one trace.
const CURVE_LEGEND_LIMIT = 20;

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
    type: "scatter", mode: labelAll ? "lines+markers+text" : "lines+markers", name: escapeHtml(curve.label), cliponaxis: false,
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
