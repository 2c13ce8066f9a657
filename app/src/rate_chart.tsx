// A run's transfers per second as bars (uPlot, on a canvas), with the same numbers in a table that
// screen readers get (and the browser test reads): a canvas says nothing to assistive technology.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { Rate } from "./rate.ts";

export function RateChart({ rate }: { rate: Rate }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    // each bar centred on its bucket's start, the first and last whole; room for 10 bars at least
    const half = rate.width / 2, last = Math.max(rate.buckets.at(-1)?.start ?? 0, 9 * rate.width);
    const plot = new uPlot(
      {
        width: 640,
        height: 180,
        legend: { show: false },
        scales: {
          x: { time: false, auto: false, range: (): uPlot.Range.MinMax => [-half, last + half] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
        },
        axes: [
          {
            label: `seconds since the first completion (${rate.width} s per bar)`,
            // ticks on whole buckets
            incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].map((n) => n * rate.width),
          },
          { label: "transfers/s" },
        ],
        series: [
          {},
          {
            label: "transfers/s",
            fill: "#3ecf8e",
            stroke: "#24996a",
            points: { show: false },
            paths: uPlot.paths.bars!({ size: [0.9, 48] }),
          },
        ],
      },
      [rate.buckets.map((b) => b.start), rate.buckets.map((b) => b.perSecond)],
      box.current,
    );
    return () => plot.destroy();
  }, [rate]);
  return (
    <figure class="rate">
      <div class="rate-plot" ref={box} aria-hidden="true" />
      <table class="rate-data visually-hidden">
        <caption>Transfers per bucket of {rate.width} s</caption>
        <tbody>
          {rate.buckets.map((b) => (
            <tr key={b.start} data-count={b.count}>
              <th>+{b.start} s</th>
              <td>{b.count} transfers ({b.perSecond}/s)</td>
            </tr>
          ))}
        </tbody>
      </table>
      <figcaption>
        <span class="rate-total">{rate.total}</span> tranches completed; peak <span class="rate-peak">{rate.peak}</span>
        {" "}
        transfers/s ({rate.width} s per bar)
      </figcaption>
    </figure>
  );
}
