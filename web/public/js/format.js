// format.js — times and small values as staff read them. Times are stored in UTC and
// shown in Asia/Shanghai (the service's zone), ISO-like: 2026-11-25 14:03.

export const ZONE = 'Asia/Shanghai';

const minuteFmt = new Intl.DateTimeFormat('sv-SE', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});
const dayFmt = new Intl.DateTimeFormat('sv-SE', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : minuteFmt.format(d);
}

// Free text written by the server (a timeline event's summary) may name times in their
// stored form (2026-12-26T15:49:44.118929Z): shown like every other time here.
const ISO_IN_TEXT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;
export function fmtTimesIn(text) {
  return typeof text === 'string' ? text.replace(ISO_IN_TEXT, (m) => fmtTime(m)) : text;
}

export function fmtDay(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dayFmt.format(d);
}

// The start of a local (Shanghai) day as an ISO time the API accepts.
export const dayStart = (yyyyMmDd) => `${yyyyMmDd}T00:00:00+08:00`;
// The start of the next local day: an exclusive upper bound that includes `yyyyMmDd`.
export function dayAfter(yyyyMmDd) {
  const d = new Date(`${yyyyMmDd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return `${d.toISOString().slice(0, 10)}T00:00:00+08:00`;
}

export const isMaskedText = (s) => typeof s === 'string' && s.includes('*');

// A list typed as "a, b；c" or one per line.
export function splitList(text) {
  return String(text || '')
    .split(/[\n,，;；、]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
