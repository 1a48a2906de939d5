import type { FleetTrendPoint } from "../../compliance/index.js";
import { html, type Html } from "../html.js";

/** The chart's drawing box (SVG user units; the SVG scales to its container). */
export const CHART = { width: 720, height: 260, left: 52, right: 20, top: 16, bottom: 44 } as const;
/** Points drawn with a marker (and a tooltip) when there are at most this many. */
const MARKED_POINTS = 120;
const Y_TICKS = [0, 25, 50, 75, 100];
const X_TICKS = 5;

const plotWidth = CHART.width - CHART.left - CHART.right;
const plotHeight = CHART.height - CHART.top - CHART.bottom;

const num = (v: number) => (Math.round(v * 10) / 10).toString();

function xOf(t: number, from: number, to: number): number {
  const span = Math.max(1, to - from);
  return CHART.left + (Math.min(Math.max(t, from), to) - from) * (plotWidth / span);
}

function yOf(percent: number): number {
  return CHART.top + plotHeight - (Math.min(Math.max(percent, 0), 100) / 100) * plotHeight;
}

/** A tick label for time `t` on a span of `span` ms: date and hour for long spans, hour:minute otherwise (UTC). */
function tickLabel(t: number, span: number): string {
  const iso = new Date(t).toISOString();
  if (span > 3 * 86_400_000) return iso.slice(5, 10);
  if (span > 86_400_000) return `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`;
  return iso.slice(11, 16);
}

/**
 * Fleet compliance over [from, to] as an SVG line chart of our own: y axis 0–100 % with
 * labelled grid lines, x axis with UTC time labels, one marker (with a tooltip) per snapshot
 * when there are few. Readable without JavaScript; an empty range says so in the chart.
 * `points` are oldest first (SnapshotStore.trend).
 */
export function trendChart(points: readonly FleetTrendPoint[], from: number, to: number): Html {
  const span = Math.max(1, to - from);
  const yAxis = Y_TICKS.map((p) => {
    const y = num(yOf(p));
    return html`<line class="grid" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${y}" y2="${y}" stroke="#d0d0d0" stroke-width="1"/><text class="y-label" x="${CHART.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${p}%</text>`;
  });
  const xAxis = Array.from({ length: X_TICKS }, (_, i) => {
    const t = from + (span * i) / (X_TICKS - 1);
    const x = num(xOf(t, from, to));
    const anchor = i === 0 ? "start" : i === X_TICKS - 1 ? "end" : "middle";
    return html`<line class="tick" x1="${x}" x2="${x}" y1="${CHART.height - CHART.bottom}" y2="${CHART.height - CHART.bottom + 5}" stroke="#808080"/><text class="x-label" x="${x}" y="${CHART.height - CHART.bottom + 18}" text-anchor="${anchor}">${tickLabel(t, span)}</text>`;
  });
  const coords = points.map((p) => ({ p, x: num(xOf(p.takenAt, from, to)), y: num(yOf(p.percent)) }));
  const line =
    coords.length > 1
      ? html`<polyline class="trend" fill="none" stroke="currentColor" stroke-width="2" points="${coords.map((c) => `${c.x},${c.y}`).join(" ")}"/>`
      : "";
  const markers =
    coords.length <= MARKED_POINTS
      ? coords.map(
          (c) =>
            html`<circle class="point" cx="${c.x}" cy="${c.y}" r="3.5" fill="currentColor"><title>${new Date(c.p.takenAt).toISOString()}: ${num(c.p.percent)}% (${c.p.compliant}/${c.p.hosts} hosts)</title></circle>`,
        )
      : "";
  const single =
    coords.length === 1 && coords[0]
      ? html`<text class="value" x="${coords[0].x}" y="${num(Number(coords[0].y) - 10)}" text-anchor="middle">${num(coords[0].p.percent)}%</text>`
      : "";
  const empty =
    points.length === 0
      ? html`<text class="empty" x="${num(CHART.left + plotWidth / 2)}" y="${num(CHART.top + plotHeight / 2)}" text-anchor="middle" font-size="14">No compliance snapshots in this range</text>`
      : "";
  const summary =
    points.length === 0
      ? "No compliance snapshots in this range."
      : `${points.length} snapshot${points.length === 1 ? "" : "s"}; latest ${num(points[points.length - 1]!.percent)}%, lowest ${num(Math.min(...points.map((p) => p.percent)))}%, highest ${num(Math.max(...points.map((p) => p.percent)))}%.`;
  return html`<svg class="trend-chart" viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" font-family="sans-serif" font-size="12" fill="currentColor" role="img" aria-labelledby="trend-title trend-desc" xmlns="http://www.w3.org/2000/svg">
<title id="trend-title">Fleet compliance from ${new Date(from).toISOString()} to ${new Date(to).toISOString()} (UTC)</title>
<desc id="trend-desc">${summary}</desc>
<g class="axis y">${yAxis}</g>
<g class="axis x">${xAxis}<line class="baseline" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${CHART.height - CHART.bottom}" y2="${CHART.height - CHART.bottom}" stroke="#808080"/></g>
<text class="axis-title" x="${num(CHART.left + plotWidth / 2)}" y="${CHART.height - 6}" text-anchor="middle">time (UTC)</text>
<g class="data">${line}${markers}${single}${empty}</g>
</svg>
<p class="chart-summary">${summary}</p>`;
}
