// A goal's burn-up chart (uPlot): the measured value day by day, the straight line it was
// expected to follow from baseline to target, and the forecast from today to the due date.
// Every chart has a caption that says in words what it shows.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

import { day, quantity } from "./api.js";

export interface BurnUpData {
  title: string;
  /** The goal's window, as YYYY-MM-DD. */
  startsOn: string;
  dueOn: string;
  baseline: number;
  target: number;
  /** The measured value at the end of each day (sampled on long windows). */
  points: { on: string; value: number | null }[];
  /** Where the trend stands on the due day, when there is one. */
  forecast: number | null;
}

const DAY = 86_400;

function seconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/** The chart's series, on one axis of days. */
export function burnUpSeries(data: BurnUpData): [number[], (number | null)[][]] {
  const start = seconds(data.startsOn);
  const due = seconds(data.dueOn) + DAY;
  const span = Math.max(due - start, DAY);
  const expectedAt = (x: number) =>
    data.baseline + ((data.target - data.baseline) * (x - start)) / span;
  const xs = data.points.map((p) => seconds(p.on) + DAY);
  const actual = data.points.map((p) => p.value);
  const last = data.points.at(-1);
  if (xs.length === 0 || xs[xs.length - 1]! < due) {
    xs.push(due);
    actual.push(null);
  }
  if (xs[0] !== start) {
    xs.unshift(start);
    actual.unshift(null);
  }
  const expected = xs.map(expectedAt);
  const forecast = xs.map(() => null as number | null);
  if (data.forecast !== null && last !== undefined && last.value !== null) {
    const from = xs.indexOf(seconds(last.on) + DAY);
    if (from >= 0) forecast[from] = last.value;
    forecast[xs.length - 1] = data.forecast;
  }
  return [xs, [actual, expected, forecast]];
}

export function BurnUp({ data }: { data: BurnUpData }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (element === null) return;
    const [xs, series] = burnUpSeries(data);
    const width = () => Math.max(element.clientWidth, 240);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{}, { values: (_, ticks) => ticks.map((t) => quantity(t)), size: 60 }],
        series: [
          {},
          { label: "Actual", stroke: "#1d4ed8", width: 2, spanGaps: false },
          { label: "Expected", stroke: "#6b7280", width: 1, dash: [6, 4], points: { show: false } },
          { label: "Forecast", stroke: "#b45309", width: 2, dash: [2, 3], spanGaps: true },
        ],
      },
      [xs, ...series] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data]);
  return (
    <figure class="chart">
      <div ref={holder} role="img" aria-label={`Burn-up chart of ${data.title}`} />
      <figcaption class="muted">{caption(data)}</figcaption>
    </figure>
  );
}

function caption(data: BurnUpData): string {
  const measured = [...data.points].reverse().find((p) => p.value !== null);
  const parts = [
    `From ${quantity(data.baseline)} on ${day(data.startsOn)} to ${quantity(data.target)} by ${day(data.dueOn)}.`,
    measured === undefined
      ? "Nothing measured yet."
      : `Measured ${quantity(measured.value)} on ${day(measured.on)}.`,
  ];
  if (data.forecast !== null) parts.push(`The trend reaches ${quantity(data.forecast)} by the due date.`);
  return parts.join(" ");
}

export interface Period {
  starts_on: string;
  ends_on: string;
  count: number;
  met: boolean;
  complete: boolean;
}

/** A cadence goal's periods, one cell each: met, missed, or under way. */
export function Streak({ periods, count }: { periods: Period[]; count: number }) {
  const shown = periods.slice(-26);
  return (
    <figure class="streak">
      <ol aria-label="Periods of this cadence">
        {shown.map((p) => {
          const state = !p.complete ? "current" : p.met ? "met" : "missed";
          const text = `${day(p.starts_on)} to ${day(p.ends_on)}: ${p.count} of ${count}, ${
            state === "current" ? "under way" : state
          }`;
          return (
            <li key={p.starts_on} class={`cell cell-${state}`} title={text}>
              <span class="visually-hidden">{text}</span>
              <span aria-hidden="true">{p.count}</span>
            </li>
          );
        })}
      </ol>
      <figcaption class="muted">
        {shown.filter((p) => p.complete && p.met).length} of {shown.filter((p) => p.complete).length}{" "}
        completed periods met (the latest {shown.length} shown).
      </figcaption>
    </figure>
  );
}
