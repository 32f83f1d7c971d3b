// Every number leaves here with its unit. MACs are multiply-accumulates (1 MAC = 2 FLOPs); the
// unit, its one-line meaning and the decimal prefixes come from the API's vocabulary.
import { vocabulary } from "./vocabulary.js";

const INT = new Intl.NumberFormat("en-US");

/** "MACs per image, conv layers only (Eqn. 1)": what a cost C counts. */
export function costUnit() {
  return vocabulary().unit_sentence;
}

export function int(n) {
  return INT.format(n);
}

/** 5720832 -> ["5.72", "M"], 512 -> ["512", ""]: three significant digits, the vocabulary's
 * decimal prefixes (largest first). The one formatter behind MACs and bytes. */
function prefixed(n) {
  for (const { factor, symbol } of vocabulary().prefixes) {
    if (Math.abs(n) >= factor) return [(n / factor).toPrecision(3), symbol];
  }
  return [INT.format(Math.round(n)), ""];
}

const macUnit = () => `${vocabulary().unit}s`;

/** 5720832 -> "5,720,832 MACs" */
export function macsExact(n) {
  return `${INT.format(n)} ${macUnit()}`;
}

/** 5720832 -> "5.72 M MACs" */
export function macs(n) {
  const [value, prefix] = prefixed(n);
  return prefix ? `${value} ${prefix} ${macUnit()}` : `${value} ${macUnit()}`;
}

export function signedMacs(n) {
  return (n > 0 ? "+" : n < 0 ? "−" : "±") + macs(Math.abs(n));
}

/** 2150000 -> "2.15 MB" (decimal prefixes) */
export function bytes(n) {
  const [value, prefix] = prefixed(n);
  return `${value} ${prefix}B`;
}

/** 0.0979 -> "9.8 %" */
export function pct(fraction, digits = 1) {
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** 0.013 -> "+1.3 %" */
export function signedPct(fraction, digits = 1) {
  const value = fraction * 100;
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return `±${text} %`;
  return `${value > 0 ? "+" : "−"}${text} %`;
}

export function ratio(r) {
  if (r === null || r === undefined || !Number.isFinite(r)) return "—"; // against a reference of C = 0
  return `${r.toFixed(3)}×`;
}

/** an error in percent (already 0-100), or "unknown" */
export function errorPct(mean, std) {
  if (mean === null || mean === undefined) return "unknown";
  return std === null || std === undefined ? `${mean.toFixed(2)} %` : `${mean.toFixed(2)} % ± ${std.toFixed(2)} %`;
}

export function ms(x) {
  if (x === null || x === undefined) return "—";
  return x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(2)} ms` : `${x.toFixed(3)} ms`;
}

export function seconds(x) {
  if (x === null || x === undefined) return "—";
  return x >= 100 ? `${x.toFixed(0)} s` : `${x.toFixed(1)} s`;
}

export function throughput(x) {
  return x === null || x === undefined ? "—" : `${INT.format(Math.round(x))} images/s`;
}

/** A layer report's output: "64 ch × 18×18 px", or "512 features" once flat. */
export function shape(layer) {
  if (!layer.out_hw) return `${INT.format(layer.out_channels)} features`;
  return `${INT.format(layer.out_channels)} ch × ${layer.out_hw[0]}×${layer.out_hw[1]} px`;
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}
