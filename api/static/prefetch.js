// Loaded first, not deferred (the page's Content-Security-Policy runs no inline script).
// Ask for the chart data now, while plotly.js downloads and compiles; charts.js picks the answer up.
window.speedboardFirstData = (() => {
  const query = new URLSearchParams(location.search);
  // A view option and the budget's limits are kept in the address but are not filters: never sent here.
  for (const name of ["size", "max_latency_ms", "percentile", "min_top1"]) query.delete(name);
  const url = query.size ? `/charts/data?${query}` : "/charts/data";
  return { url, promise: fetch(url, { headers: { accept: "application/json" } }).catch(() => null) };
})();
