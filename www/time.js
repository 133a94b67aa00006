// Times as the page shows them: absolute ("Mar 3, 2025, 10:04 AM"), relative ("5 minutes ago",
// kept current), the full date in the tooltip.

import { h } from "./dom.js";

const absoluteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

function relativeTime(ms) {
  const diff = ms - Date.now();
  const abs = Math.abs(diff);
  if (abs < 45_000) return "just now";
  const units = [
    ["minute", 60_000, 45],
    ["hour", 3_600_000, 22],
    ["day", 86_400_000, 26],
    ["month", 2_629_800_000, 11],
    ["year", 31_557_600_000, Infinity],
  ];
  for (const [unit, size, max] of units) {
    const n = Math.round(diff / size);
    if (Math.abs(n) <= max) return relativeFormat.format(n, unit);
  }
  return absoluteFormat.format(new Date(ms));
}

/** A time in epoch milliseconds (the API's `createdAt`, `expiresAt`, `lastUsedAt`). */
export function isTime(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/** A `<time>` element; a `relative` one is kept current by refreshRelativeTimes. */
export function timeElement(ms, { relative = false } = {}) {
  const d = new Date(ms);
  const t = h("time", { datetime: d.toISOString(), title: fullFormat.format(d) });
  if (relative) {
    t.dataset.relative = String(ms);
    t.textContent = relativeTime(ms);
  } else {
    t.textContent = absoluteFormat.format(d);
  }
  return t;
}

export function refreshRelativeTimes(root) {
  for (const t of root.querySelectorAll("time[data-relative]")) {
    t.textContent = relativeTime(Number(t.dataset.relative));
  }
}
