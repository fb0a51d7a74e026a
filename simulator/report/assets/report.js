/* sosim HTML report: draws the charts from the JSON in #sosim-data with the vendored uPlot.
 *
 * Every chart registers how many data marks it drew; a self-check then counts coloured pixels
 * in each plotting area and writes the verdict into the page (body[data-charts-ok] and
 * #sosim-selfcheck), so a headless browser in CI can tell that every chart really drew.
 */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("sosim-data").textContent);
  const charts = [];
  const FONT = '12px system-ui, "DejaVu Sans", sans-serif';
  const LABEL_FONT = 'bold 12px system-ui, "DejaVu Sans", sans-serif';
  const INK = "#1d232b";
  const GRID = { stroke: "#e6eaee", width: 1 };
  const TICKS = { stroke: "#c9d1d9", width: 1, size: 4 };
  const C = {
    blue: "#1f6feb",
    green: "#2da44e",
    red: "#cf222e",
    orange: "#e16f24",
    purple: "#8250df",
    teal: "#0e8a8a",
    navy: "#0a3069",
    lag: "#8fb3e8",
  };
  const CLASS_COLORS = {
    2: ["#2da44e", "#116329", "#6fdd8b"],
    3: ["#0e8a8a", "#0a6262"],
    4: ["#e16f24", "#953800", "#ffa657"],
    5: ["#cf222e", "#82071e", "#ff8182"],
    e: ["#8250df", "#512a97", "#c297ff", "#bf3989"],
  };
  const DPR = () => window.devicePixelRatio || 1;

  // --- the run's time span, and formatting ----------------------------------------------

  const S = data.series;
  const step = S.step || 1;
  const perSecond = (values) => values.map((v) => (v == null ? null : v / step));
  const rateUnit = step > 1 ? ` (mean of ${step} s)` : "";
  // Each row covers [t, t + step): plot it at the middle of its interval.
  const midT = S.t.map((t) => t + step / 2);
  // The time axis spans the whole run: the last send, the last state change and the run's end.
  const lastT = data.webhook.changes.reduce(
    (end, change) => Math.max(end, change.at_s * 1.02),
    Math.max(S.t.length ? S.t[S.t.length - 1] + step : 1, data.elapsed_s || 0),
  );
  // Runs up to 5 minutes read in seconds; longer ones in h:mm:ss.
  const CLOCK = lastT > 300;
  const CLOCK_UNIT = lastT >= 3600 ? "h:mm:ss" : "m:ss";

  const nf = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 3 });
  const intf = new Intl.NumberFormat("en-US");

  function fmtMs(v) {
    if (v == null || Number.isNaN(v)) return "–";
    return v >= 1000 ? nf.format(v / 1000) + " s" : nf.format(v) + " ms";
  }
  function fmtCount(v) {
    return v == null ? "–" : intf.format(Math.round(v * 100) / 100);
  }
  function fmtSeconds(s) {
    if (s == null) return "–";
    if (!CLOCK) return nf.format(s) + " s";
    const sign = s < 0 ? "-" : "";
    let rest = Math.round(Math.abs(s));
    const h = Math.floor(rest / 3600);
    rest -= h * 3600;
    const m = Math.floor(rest / 60);
    const sec = String(rest - m * 60).padStart(2, "0");
    const hours = h || CLOCK_UNIT === "h:mm:ss";
    return hours ? `${sign}${h}:${String(m).padStart(2, "0")}:${sec}` : `${sign}${m}:${sec}`;
  }

  /** A moment of the run to the millisecond, for the attempt details. */
  function fmtOffset(s) {
    if (!CLOCK) return `${s.toFixed(3)} s`;
    const ms = (s % 1).toFixed(3).slice(1);
    return fmtSeconds(Math.floor(s)) + ms;
  }

  /** The x axis of the time charts: seconds for short runs, m:ss or h:mm:ss for long ones. */
  function timeAxis() {
    return {
      space: 60,
      label: CLOCK ? `time since start (${CLOCK_UNIT})` : "time since start (s)",
      values: (u, splits) => splits.map((v) => (CLOCK ? fmtSeconds(v) : nf.format(v))),
    };
  }

  function axis(extra) {
    return Object.assign(
      { font: FONT, labelFont: LABEL_FONT, stroke: INK, grid: GRID, ticks: TICKS, labelSize: 24 },
      extra,
    );
  }

  // --- chart plumbing -----------------------------------------------------------------

  function place(id) {
    const el = document.querySelector(`#${id} .chart`);
    if (!el) throw new Error(`no container for chart ${id}`);
    return el;
  }

  function showEmpty(id, text) {
    const el = document.querySelector(`#${id} .chart`);
    if (el) {
      el.className = "empty";
      el.textContent = text;
    }
  }

  /** Build a uPlot chart, remember it for resizing and the self-check. */
  function addChart(id, opts, table, marks) {
    const el = place(id);
    const title = document.querySelector(`#${id} h2`).textContent;
    const height = opts.height || 280;
    const plot = new uPlot(Object.assign({ width: el.clientWidth || 600, height }, opts), table, el);
    charts.push({ id, title, el, plot, height, marks });
    return plot;
  }

  function guarded(id, build) {
    try {
      build();
    } catch (err) {
      window.__sosimErrors.push(`chart ${id}: ${err && err.stack ? err.stack : err}`);
      showEmpty(id, `This chart could not be drawn: ${err}`);
    }
  }

  function countValues(table) {
    let n = 0;
    for (let i = 1; i < table.length; i++) for (const v of table[i]) if (v != null) n++;
    return n;
  }

  function lineSeries(label, stroke, value, extra) {
    const shown = (u, v) => (v == null ? "–" : value(v));
    // A run of a few seconds has a few points: make them big enough to see.
    const points = S.t.length <= 10 ? { show: true, size: 9, fill: stroke } : { size: 5 };
    return Object.assign({ label, stroke, width: 2, value: shown, points }, extra);
  }

  // --- the per-second charts ----------------------------------------------------------

  const tAxis = timeAxis();
  const xTime = { time: false, range: () => [0, lastT] };
  const xSeries = {
    label: "second",
    value: (u, v) => (v == null ? "–" : `${fmtSeconds(v - step / 2)} to ${fmtSeconds(v + step / 2)}`),
  };

  function timeChart(id, series, yLabel, columns, extra) {
    if (!S.t.length) {
      showEmpty(id, "No attempt was made in this run.");
      return;
    }
    const table = [midT, ...columns];
    addChart(
      id,
      Object.assign(
        {
          scales: { x: xTime, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
          axes: [axis(tAxis), axis({ label: yLabel, size: 60 })],
          series: [xSeries, ...series],
          cursor: { drag: { x: true, y: false } },
        },
        extra || {},
      ),
      table,
      () => countValues(table),
    );
  }

  guarded("throughput", () =>
    timeChart(
      "throughput",
      [
        lineSeries("sent (attempts/s)", C.blue, (v) => fmtCount(v) + "/s", {
          fill: "rgba(31,111,235,0.12)",
          width: 4,
        }),
        lineSeries("delivered (req/s)", C.green, (v) => fmtCount(v) + "/s"),
        lineSeries("failed (req/s)", C.red, (v) => fmtCount(v) + "/s"),
      ],
      step > 1 ? "req/s" + rateUnit : "requests per second (req/s)",
      [perSecond(S.sent), perSecond(S.delivered), perSecond(S.failed)],
    ),
  );

  guarded("latency", () =>
    timeChart(
      "latency",
      [
        lineSeries("p50", C.green, fmtMs),
        lineSeries("p90", C.orange, fmtMs),
        lineSeries("p99", C.red, fmtMs),
      ],
      "service time (ms)",
      [S.p50_ms, S.p90_ms, S.p99_ms],
    ),
  );

  guarded("lag", () =>
    timeChart(
      "lag",
      [lineSeries("lag p50", C.teal, fmtMs), lineSeries("lag p99", C.purple, fmtMs)],
      "schedule lag (ms)",
      [S.lag_p50_ms, S.lag_p99_ms],
    ),
  );

  // --- the closed loop: how the system under test answered ------------------------------

  const CV = data.conversation;
  if (CV) {
    const cvT = CV.series.map((r) => r.t + 0.5);
    const col = (key) => CV.series.map((r) => r[key]);
    const convChart = (id, series, yLabel, columns) => {
      if (!cvT.length) {
        showEmpty(id, "No customer message was answered or timed out.");
        return;
      }
      const table = [cvT, ...columns];
      addChart(
        id,
        {
          scales: { x: xTime, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
          axes: [axis(tAxis), axis({ label: yLabel, size: 60 })],
          series: [xSeries, ...series],
          cursor: { drag: { x: true, y: false } },
        },
        table,
        () => countValues(table),
      );
    };
    guarded("conversation", () =>
      convChart(
        "conversation",
        [
          lineSeries("replies", C.green, (v) => fmtCount(v) + "/s"),
          lineSeries("unanswered", C.red, (v) => fmtCount(v) + "/s"),
        ],
        "customer messages per second",
        [col("replies"), col("unanswered")],
      ),
    );
    guarded("reply-latency", () =>
      convChart(
        "reply-latency",
        // Seconds without a reply have no latency: join the seconds that have one.
        [
          lineSeries("p50", C.green, fmtMs, { spanGaps: true }),
          lineSeries("max", C.red, fmtMs, { spanGaps: true }),
        ],
        "reply latency (ms)",
        [col("p50_ms"), col("max_ms")],
      ),
    );
  }

  // --- retries and the webhook state --------------------------------------------------

  const STATE_FILL = { Active: "rgba(45,164,78,0.07)", TooManyErrors: "rgba(207,34,46,0.13)" };

  function stateSpans() {
    const spans = [];
    let state = "Active";
    let from = 0;
    for (const change of data.webhook.changes) {
      if (change.at_s > from) spans.push({ state, from, to: change.at_s });
      state = change.state;
      from = change.at_s;
    }
    spans.push({ state, from, to: Infinity });
    return spans;
  }

  function drawStates(u) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (const span of stateSpans()) {
      const x0 = Math.max(u.valToPos(span.from, "x", true), left);
      const x1 = Math.min(span.to === Infinity ? left + width : u.valToPos(span.to, "x", true), left + width);
      if (x1 <= x0) continue;
      ctx.fillStyle = STATE_FILL[span.state] || "rgba(212,167,44,0.16)";
      ctx.fillRect(x0, top, x1 - x0, height);
      if (span.from > 0) {
        ctx.strokeStyle = INK;
        ctx.setLineDash([4 * DPR(), 3 * DPR()]);
        ctx.beginPath();
        ctx.moveTo(x0, top);
        ctx.lineTo(x0, top + height);
        ctx.stroke();
      }
    }
    ctx.restore();
  }

  function labelStates(u) {
    const ctx = u.ctx;
    const { left, top, width } = u.bbox;
    const dpr = DPR();
    ctx.save();
    ctx.font = `${11 * dpr}px system-ui, "DejaVu Sans", sans-serif`;
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    for (const span of stateSpans()) {
      const x0 = Math.max(u.valToPos(span.from, "x", true), left);
      if (x0 >= left + width) continue;
      const label = span.from > 0 ? `webhook ${span.state} at ${fmtSeconds(span.from)}` : `webhook ${span.state}`;
      const textWidth = ctx.measureText(label).width;
      const nearEnd = x0 + textWidth + 8 * dpr > left + width;
      const x = nearEnd ? x0 - textWidth - 6 * dpr : x0 + 4 * dpr;
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(x - 2 * dpr, top + 3 * dpr, textWidth + 4 * dpr, 15 * dpr);
      ctx.fillStyle = INK;
      ctx.fillText(label, x, top + 5 * dpr);
    }
    ctx.restore();
  }

  guarded("retries", () =>
    timeChart(
      "retries",
      [
        lineSeries("retries (attempts/s)", C.blue, (v) => fmtCount(v) + "/s"),
        lineSeries("HTTP 4xx (attempts/s)", C.orange, (v) => fmtCount(v) + "/s"),
        lineSeries("HTTP 5xx (attempts/s)", C.red, (v) => fmtCount(v) + "/s"),
        lineSeries("no answer (attempts/s)", C.purple, (v) => fmtCount(v) + "/s"),
      ],
      "attempts/s" + rateUnit,
      [perSecond(S.retries), perSecond(S.status_4xx), perSecond(S.status_5xx), perSecond(S.errors)],
      { hooks: { drawClear: [drawStates], draw: [labelStates] } },
    ),
  );

  // --- the HDR percentile plot --------------------------------------------------------

  const toX = (percentile) => 1 / (1 - percentile / 100);

  function percentLabel(x) {
    const p = (1 - 1 / x) * 100;
    return `${+p.toFixed(6)}%`;
  }

  guarded("distribution", () => {
    const D = data.distribution;
    // A log axis cannot show 0 ms; such steps are left out and the line spans them.
    const positive = (v) => (v > 0 ? v : null);
    const parts = [D.service, D.from_intended].map((rows) => [rows.map((r) => toX(r[0])), rows.map((r) => positive(r[1]))]);
    const table = uPlot.join(parts);
    const ys = table.slice(1).flat().filter((v) => v != null);
    if (!ys.length) {
      showEmpty("distribution", "No attempt got an answer, so there is no latency to plot.");
      return;
    }
    const maxX = Math.max(10, ...table[0]);
    const decades = Math.ceil(Math.log10(maxX));
    const yLow = 10 ** Math.floor(Math.log10(Math.min(...ys)));
    const yHigh = 10 ** Math.ceil(Math.log10(Math.max(...ys) * 1.01));
    const yDecades = Math.round(Math.log10(yHigh / yLow));
    addChart(
      "distribution",
      {
        scales: {
          x: { time: false, distr: 3, log: 10, range: () => [1, 10 ** decades] },
          y: { distr: 3, log: 10, range: () => [yLow, yHigh] },
        },
        axes: [
          axis({
            label: "percentile (log scale: each step is ten times rarer)",
            splits: () => Array.from({ length: decades + 1 }, (_, i) => 10 ** i),
            values: (u, splits) => splits.map(percentLabel),
          }),
          axis({
            label: "latency (ms, log scale)",
            size: 60,
            splits: () => Array.from({ length: yDecades + 1 }, (_, i) => yLow * 10 ** i),
            values: (u, splits) => splits.map((v) => nf.format(v)),
          }),
        ],
        series: [
          { label: "percentile", value: (u, v) => (v == null ? "–" : percentLabel(v)) },
          lineSeries("service time", C.blue, fmtMs, { spanGaps: true, points: { show: false } }),
          lineSeries("latency from intended send", C.orange, fmtMs, { spanGaps: true, points: { show: false } }),
        ],
        cursor: { drag: { x: true, y: false } },
      },
      table,
      () => countValues(table),
    );
  });

  // --- answers per category (event types, faults) -------------------------------------

  function answerKeys(groups) {
    const statuses = new Set();
    const errors = new Set();
    for (const g of groups) {
      Object.keys(g.status_codes || {}).forEach((k) => statuses.add(k));
      Object.keys(g.errors || {}).forEach((k) => errors.add(k));
    }
    const keys = [...[...statuses].sort().map((k) => ({ kind: "status", key: k, label: `HTTP ${k}` }))];
    keys.push(...[...errors].sort().map((k) => ({ kind: "error", key: k, label: `no answer: ${k}` })));
    const used = {};
    for (const k of keys) {
      const cls = k.kind === "status" ? k.key[0] : "e";
      const palette = CLASS_COLORS[cls] || [C.navy];
      used[cls] = (used[cls] || 0) + 1;
      k.color = palette[(used[cls] - 1) % palette.length];
    }
    return keys;
  }

  /** Grouped bars on a log count axis: one group per category, one bar per answer. */
  function groupedBars(counter) {
    return (u, seriesIdx, idx0, idx1) => {
      const fill = new Path2D();
      const shown = u.series.map((s, i) => (i > 0 && s.show ? i : -1)).filter((i) => i > 0);
      const slot = shown.indexOf(seriesIdx);
      if (slot < 0) return { stroke: fill, fill };
      const groupPx = Math.abs(u.valToPos(1, "x", true) - u.valToPos(0, "x", true)) * 0.8;
      const barPx = groupPx / shown.length;
      const bottom = u.bbox.top + u.bbox.height;
      for (let i = idx0; i <= idx1; i++) {
        const v = u.data[seriesIdx][i];
        if (v == null || v <= 0) continue;
        const left = u.valToPos(u.data[0][i], "x", true) - groupPx / 2 + slot * barPx;
        const top = u.valToPos(v, "y", true);
        fill.rect(left + 1, top, Math.max(barPx - 2, 1), bottom - top);
        counter.bars++;
      }
      return { stroke: fill, fill };
    };
  }

  // --- category labels that stay readable (12 faults on a narrow screen) -----------------

  const measurer = document.createElement("canvas").getContext("2d");
  const LINE_HEIGHT = 12 * 1.5; // the axis font's size times uPlot's default lineGap
  const AXIS_GAP = 5; // uPlot's default gap between the ticks and the values

  function textWidth(text) {
    measurer.font = FONT;
    return measurer.measureText(text).width;
  }

  /** ``text`` in lines no wider than ``width``, broken at spaces and after hyphens. */
  function wrapLabel(text, width) {
    const words = text.split(" ").flatMap((w, i) => w.split(/(?<=-)/).map((p, j) => [i > 0 && j === 0, p]));
    const lines = [];
    let line = "";
    for (const [spaced, part] of words) {
      const joined = line ? line + (spaced ? " " : "") + part : part;
      if (line && textWidth(joined) > width) {
        lines.push(line);
        line = part;
      } else {
        line = joined;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  /**
   * How a category axis shows ``names`` in the chart's current width: side by side, wrapped to the
   * width of a category when that makes every line fit, else turned upright (90 degrees), which
   * fits any number of categories a line's height apart.
   */
  function categoryLayout(u, names) {
    const plotWidth = u.bbox.width > 0 ? u.bbox.width / DPR() : u.width - 80;
    const slot = plotWidth / names.length - 8;
    if (u._sosimLayout && u._sosimLayout.slot === slot) return u._sosimLayout;
    const wrapped = names.map((n) => wrapLabel(n, slot));
    const widths = names.map(textWidth);
    const fits = wrapped.every((lines) => lines.every((l) => textWidth(l) <= slot));
    const upright = !fits;
    const lines = upright ? names.map((n) => [n]) : wrapped;
    const extent = upright ? Math.max(...widths) : Math.max(...lines.map((l) => l.length)) * LINE_HEIGHT;
    u._sosimLayout = { slot, upright, lines, size: TICKS.size + AXIS_GAP + Math.ceil(extent) + 6 };
    return u._sosimLayout;
  }

  function categoryAxis(names, label) {
    return axis({
      label,
      splits: () => names.map((_, i) => i),
      values: (u) => categoryLayout(u, names).lines.map((l) => l.join("\n")),
      rotate: (u) => (categoryLayout(u, names).upright ? 90 : 0),
      size: (u) => categoryLayout(u, names).size,
      grid: { show: false },
    });
  }

  function categoryChart(id, names, groups, xLabel, yLabel) {
    if (!names.length) {
      showEmpty(id, "No attempt was made in this run.");
      return;
    }
    const keys = answerKeys(groups);
    const xs = names.map((_, i) => i);
    const table = [
      xs,
      ...keys.map((k) =>
        groups.map((g) => {
          const n = (k.kind === "status" ? g.status_codes : g.errors)[k.key];
          return n ? n : null;
        }),
      ),
    ];
    const max = Math.max(1, ...table.slice(1).flat().filter((v) => v != null));
    const top = 10 ** Math.ceil(Math.log10(max * 1.5));
    const counter = { bars: 0 };
    const paths = groupedBars(counter);
    // Upright or wrapped labels take height: add it, so the bars keep their 200 px or so.
    const labels = categoryLayout({ bbox: { width: 0 }, width: place(id).clientWidth || 600 }, names);
    addChart(
      id,
      {
        height: 230 + labels.size,
        scales: {
          x: { time: false, range: () => [-0.5, names.length - 0.5] },
          y: { distr: 3, log: 10, range: () => [0.6, top] },
        },
        axes: [
          categoryAxis(names, xLabel),
          axis({
            label: yLabel,
            size: 60,
            splits: () => Array.from({ length: Math.log10(top) + 1 }, (_, i) => 10 ** i),
            values: (u, splits) => splits.map((v) => intf.format(v)),
          }),
        ],
        series: [
          { label: xLabel, value: (u, v) => (v == null ? "–" : names[v]) },
          ...keys.map((k) => ({
            label: k.label,
            stroke: k.color,
            fill: k.color,
            width: 0,
            paths,
            points: { show: false },
            value: (u, v, si, idx) => (idx == null ? "–" : intf.format(v || 0)),
          })),
        ],
        cursor: { drag: { x: false, y: false } },
        hooks: { drawClear: [() => (counter.bars = 0)] },
      },
      table,
      () => counter.bars,
    );
  }

  guarded("answers", () => {
    const names = Object.keys(data.events);
    categoryChart("answers", names, names.map((n) => data.events[n]), "event type", "attempts (log scale)");
  });

  if (document.getElementById("faults")) {
    guarded("faults", () => {
      const names = Object.keys(data.faults);
      const labels = names.map((n) => {
        const v = data.fault_verdicts[n];
        return v ? `${n} (${v.passed ? "PASS" : "FAIL"})` : n;
      });
      categoryChart("faults", labels, names.map((n) => data.faults[n]), "injected fault (verdict)", "attempts (log scale)");
    });
  }

  // --- swimlanes of the slowest and the failed sessions -------------------------------

  const lanes = data.sessions.lanes.map((lane) => {
    const attempts = lane.attempts.map((row) => {
      const a = {};
      data.sessions.fields.forEach((f, i) => (a[f] = row[i]));
      return a;
    });
    return Object.assign({}, lane, { attempts });
  });
  let selected = null;
  let laneBars = () => [];

  function attemptColor(a) {
    if (a.delivered) return C.green;
    return a.final && !a.requeued ? C.red : C.orange;
  }

  function laneLabel(lane) {
    const why = lane.failed ? "failed" : lane.recovered ? "recovered" : "slow";
    const scenario = data.sessions.scenarios > 1 ? ` ${lane.scenario}` : "";
    return `#${lane.session_id}${scenario} ${why}`;
  }

  function drawLanes(u, state) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const dpr = DPR();
    const half = Math.abs(u.valToPos(0.32, "y", true) - u.valToPos(0, "y", true));
    state.rects = [];
    state.bars = 0;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    lanes.forEach((lane, li) => {
      const y = u.valToPos(li, "y", true);
      lane.attempts.forEach((a, ai) => {
        const xi = u.valToPos(a.intended_s, "x", true);
        const xs = u.valToPos(a.sent_s, "x", true);
        let xd = u.valToPos(a.done_s, "x", true);
        if (xd - xs < 3 * dpr) xd = xs + 3 * dpr;
        if (xs - xi >= 1) {
          ctx.fillStyle = C.lag;
          ctx.fillRect(xi, y - half / 3, xs - xi, (2 * half) / 3);
        }
        ctx.fillStyle = attemptColor(a);
        ctx.fillRect(xs, y - half, xd - xs, 2 * half);
        if (a.fault) {
          ctx.strokeStyle = C.purple;
          ctx.lineWidth = 2 * dpr;
          ctx.strokeRect(xs, y - half, xd - xs, 2 * half);
        }
        if (selected && selected.lane === li && selected.attempt === ai) {
          ctx.strokeStyle = INK;
          ctx.lineWidth = 2 * dpr;
          ctx.strokeRect(xs - 2 * dpr, y - half - 2 * dpr, xd - xs + 4 * dpr, 2 * half + 4 * dpr);
        }
        state.bars++;
        state.rects.push({
          x0: (Math.min(xi, xs) - left) / dpr,
          x1: (xd - left) / dpr,
          y0: (y - half - top) / dpr,
          y1: (y + half - top) / dpr,
          lane: li,
          attempt: ai,
        });
      });
    });
    ctx.restore();
  }

  function pick(state, x, y) {
    let best = null;
    let bestDist = 6;
    for (const r of state.rects) {
      if (y < r.y0 - 3 || y > r.y1 + 3) continue;
      const dist = x < r.x0 ? r.x0 - x : x > r.x1 ? x - r.x1 : 0;
      if (dist < bestDist) {
        best = r;
        bestDist = dist;
      }
    }
    return best;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    for (const child of children) node.append(child);
    return node;
  }

  function prettyBody(text, whole) {
    if (!whole) return text;
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (err) {
      return text;
    }
  }

  function sizeNote(shown, total) {
    const bytes = new TextEncoder().encode(shown).length;
    return bytes < total ? ` (first ${intf.format(bytes)} of ${intf.format(total)} bytes)` : ` (${intf.format(total)} bytes)`;
  }

  function showDetail(laneIdx, attemptIdx) {
    const lane = lanes[laneIdx];
    const a = lane.attempts[attemptIdx];
    const panel = document.getElementById("detail");
    const facts = el("dl", { class: "settings" });
    const answer = a.status != null ? `HTTP ${a.status}` : `no answer (${a.error || "unknown"})`;
    const outcome = a.delivered
      ? "delivered"
      : !a.final
        ? "failed, retried"
        : a.requeued
          ? "failed, requeued with a new EventId"
          : "failed for good";
    const rows = [
      ["session", `${lane.session_id} (${lane.scenario})${lane.failed ? ", failed" : lane.recovered ? ", recovered" : ""}${lane.slow ? ", among the slowest" : ""}`],
      ["event", `${a.event}, EventId ${a.event_id}`],
      ["attempt", `${a.attempt} of delivery cycle ${a.cycle}: ${outcome}`],
      ["answer", answer + (a.error_detail ? `: ${a.error_detail}` : "")],
      ["intended / sent / done", `${fmtOffset(a.intended_s)} / ${fmtOffset(a.sent_s)} / ${fmtOffset(a.done_s)}`],
      ["lag / service / from intended", `${fmtMs((a.sent_s - a.intended_s) * 1000)} / ${fmtMs((a.done_s - a.sent_s) * 1000)} / ${fmtMs((a.done_s - a.intended_s) * 1000)}`],
    ];
    if (a.fault) rows.push(["injected fault", a.fault]);
    if (lane.omitted) rows.push(["not kept", `${lane.omitted} more attempts of this session`]);
    for (const [k, v] of rows) facts.append(el("dt", {}, k), el("dd", {}, v));
    const wholeBody = new TextEncoder().encode(a.body).length >= a.body_bytes;
    panel.replaceChildren(
      el("div", { class: "facts" }, el("h3", {}, `Session ${lane.session_id}: ${a.event}, attempt ${a.attempt}`), facts),
      el(
        "div",
        {},
        el("h3", {}, "Request headers"),
        el("pre", { id: "detail-headers" }, a.headers || "(none)"),
        el("h3", {}, "Request body" + sizeNote(a.body, a.body_bytes)),
        el("pre", { id: "detail-body" }, prettyBody(a.body, wholeBody) || "(empty)"),
      ),
      el(
        "div",
        {},
        el("h3", {}, "Response" + (a.response_bytes ? sizeNote(a.response, a.response_bytes) : "")),
        el("pre", { id: "detail-response" }, `${answer}\n\n${a.response || "(empty body)"}`),
      ),
    );
  }

  function defaultSelection() {
    for (let li = 0; li < lanes.length; li++) {
      const ai = lanes[li].attempts.findIndex((a) => !a.delivered && a.final);
      if (ai >= 0) return { lane: li, attempt: ai };
    }
    if (!lanes.length) return null;
    const attempts = lanes[0].attempts;
    let worst = 0;
    attempts.forEach((a, i) => {
      if (a.done_s - a.intended_s > attempts[worst].done_s - attempts[worst].intended_s) worst = i;
    });
    return attempts.length ? { lane: 0, attempt: worst } : null;
  }

  guarded("sessions", () => {
    const all = lanes.flatMap((l) => l.attempts);
    if (!all.length) {
      showEmpty("sessions", "No session was sampled: the run made no attempt.");
      return;
    }
    const x0 = Math.min(...all.map((a) => a.intended_s));
    const x1 = Math.max(...all.map((a) => a.done_s));
    const pad = Math.max((x1 - x0) * 0.02, 0.005);
    const state = { rects: [], bars: 0 };
    const laneAxis = timeAxis();
    const u = addChart(
      "sessions",
      {
        height: Math.max(180, lanes.length * 22 + 100),
        legend: { show: false },
        scales: {
          x: { time: false, range: () => [Math.max(0, x0 - pad), x1 + pad] },
          y: { dir: -1, range: () => [-0.6, lanes.length - 0.4] },
        },
        axes: [
          axis(laneAxis),
          axis(Object.assign({ scale: "x", side: 0, size: 28 }, laneAxis)),
          axis({
            label: "session (PrimaryKey)",
            size: 150,
            splits: () => lanes.map((_, i) => i),
            values: () => lanes.map(laneLabel),
            grid: { show: false },
          }),
        ],
        series: [{ label: "time" }, { label: "lanes", stroke: "transparent", points: { show: false } }],
        cursor: { drag: { x: true, y: false }, y: false },
        hooks: { draw: [(plot) => drawLanes(plot, state)] },
      },
      [
        [Math.max(0, x0 - pad), x1 + pad],
        [null, null],
      ],
      () => state.bars,
    );
    laneBars = () => {
      const box = u.over.getBoundingClientRect();
      return state.rects.map((r) => ({
        lane: r.lane,
        attempt: r.attempt,
        session_id: lanes[r.lane].session_id,
        event: lanes[r.lane].attempts[r.attempt].event,
        event_id: lanes[r.lane].attempts[r.attempt].event_id,
        x: box.left + (r.x0 + r.x1) / 2,
        y: box.top + (r.y0 + r.y1) / 2,
      }));
    };
    let down = null;
    u.over.addEventListener("mousedown", (e) => (down = [e.clientX, e.clientY]));
    u.over.addEventListener("click", (e) => {
      if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 3) return;
      const hit = pick(state, e.offsetX, e.offsetY);
      if (!hit) return;
      selected = { lane: hit.lane, attempt: hit.attempt };
      showDetail(hit.lane, hit.attempt);
      u.redraw(false, false);
    });
    selected = defaultSelection();
    if (selected) {
      showDetail(selected.lane, selected.attempt);
      u.redraw(false, false);
    }
  });

  // --- resizing and the self-check ----------------------------------------------------

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const c of charts) c.plot.setSize({ width: c.el.clientWidth, height: c.height });
    }, 100);
  });

  /** Pixels in the plotting area drawn in a saturated colour: data marks, not grid or text. */
  function inkPixels(u) {
    const { left, top, width, height } = u.bbox;
    if (width < 1 || height < 1) return 0;
    const img = u.ctx.getImageData(Math.round(left), Math.round(top), Math.round(width), Math.round(height)).data;
    let n = 0;
    for (let i = 0; i < img.length; i += 4) {
      const r = img[i];
      const g = img[i + 1];
      const b = img[i + 2];
      if (img[i + 3] > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
    return n;
  }

  function selfCheck() {
    const results = charts.map((c) => ({ id: c.id, title: c.title, marks: c.marks(), pixels: inkPixels(c.plot) }));
    const errors = window.__sosimErrors;
    const ok = results.length > 0 && results.every((r) => r.marks > 0 && r.pixels > 0) && !errors.length;
    document.getElementById("sosim-selfcheck").textContent = JSON.stringify({ charts: results, errors });
    document.body.dataset.charts = String(results.length);
    document.body.dataset.chartsOk = ok ? "true" : "false";
    document.body.dataset.pageHeight = String(document.documentElement.scrollHeight);
    window.__sosimShowErrors();
    // For scripts and tests: what drew, and where each swimlane bar is on screen.
    window.sosimReport = {
      charts: results,
      errors,
      sessionBars: () => laneBars(),
      selected: () => selected,
      plot: (id) => charts.find((c) => c.id === id).plot,
    };
  }

  requestAnimationFrame(() => setTimeout(selfCheck, 0));
})();
