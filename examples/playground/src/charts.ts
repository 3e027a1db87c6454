/**
 * Live charts: vega-lite specs compiled once to a vega View (SVG) whose named datasets are changed in
 * place, so a chart updated every batch redraws only what changed. Each chart's container carries
 * `data-points`, the number of rows in its main dataset (read by the end-to-end test).
 */
import type {TopLevelSpec} from 'vega-lite';
import type {View} from 'vega';

export type Row = Record<string, number | string>;

export class LiveChart {
  private view: View | null = null;
  private points = 0;

  constructor(
    private readonly container: HTMLElement,
    private readonly spec: TopLevelSpec
  ) {}

  private async ensureView(): Promise<View> {
    if (this.view == null) {
      const compiled = vegaLite.compile(this.spec).spec;
      // Not run until its data is in: vega would draw the empty dataset first.
      this.view = new vega.View(vega.parse(compiled), {renderer: 'svg', container: this.container, hover: true});
    }
    return this.view;
  }

  async append(rows: Row[], dataset = 'table'): Promise<void> {
    const view = await this.ensureView();
    view.change(dataset, vega.changeset().insert(rows));
    await view.runAsync();
    if (dataset === 'table') this.setPoints(this.points + rows.length);
  }

  async replace(rows: Row[], dataset = 'table'): Promise<void> {
    if (rows.length === 0 && dataset === 'table') return this.clear();
    const view = await this.ensureView();
    view.change(
      dataset,
      vega
        .changeset()
        .remove(() => true)
        .insert(rows)
    );
    await view.runAsync();
    if (dataset === 'table') this.setPoints(rows.length);
  }

  /** Removes the chart: vega draws an empty dataset's scales with infinite domains, so none is drawn. */
  async clear(): Promise<void> {
    this.view?.finalize();
    this.view = null;
    this.container.replaceChildren();
    this.setPoints(0);
  }

  private setPoints(points: number): void {
    this.points = points;
    this.container.dataset.points = String(points);
  }
}

const SIZE = {width: 320, height: 170};

export interface LineOptions {
  /** Field whose values are the lines, with their names in this order (for fixed colours). */
  series?: {field: string; names: string[]};
  yDomain?: [number, number];
  points?: boolean;
  /** 'ordinal' for time steps (one tick per step), 'quantitative' for batches. */
  xType?: 'ordinal' | 'quantitative';
}

export function lineChart(
  container: HTMLElement,
  x: [string, string],
  y: [string, string],
  options: LineOptions = {}
): LiveChart {
  const yScale = options.yDomain == null ? {zero: false} : {domain: options.yDomain};
  const xType = options.xType ?? 'quantitative';
  const xAxis = xType === 'ordinal' ? {labelAngle: 0} : {tickMinStep: 1, format: 'd'};
  const series = options.series;
  return new LiveChart(container, {
    ...SIZE,
    data: {name: 'table'},
    mark: {type: 'line', point: options.points ?? false, tooltip: true},
    encoding: {
      x: {field: x[0], type: xType, title: x[1], axis: xAxis},
      y: {field: y[0], type: 'quantitative', title: y[1], scale: yScale},
      ...(series == null
        ? {}
        : {
            color: {
              field: series.field,
              type: 'nominal',
              title: null,
              scale: {domain: series.names},
              legend: {orient: 'bottom'},
            },
          }),
    },
  });
}

export function barChart(container: HTMLElement, x: [string, string], y: [string, string]): LiveChart {
  return new LiveChart(container, {
    ...SIZE,
    data: {name: 'table'},
    mark: {type: 'bar', tooltip: true},
    encoding: {
      x: {field: x[0], type: 'ordinal', title: x[1], sort: null, axis: {labelAngle: 0}},
      y: {field: y[0], type: 'quantitative', title: y[1]},
    },
  });
}

/** Mean BNTT scale per step and layer, with a dashed rule at the threshold (dataset 'threshold'). */
export function gammaChart(container: HTMLElement): LiveChart {
  return new LiveChart(container, {
    ...SIZE,
    layer: [
      {
        data: {name: 'table'},
        mark: {type: 'line', point: true, tooltip: true},
        encoding: {
          x: {field: 'step', type: 'ordinal', title: 'time step', axis: {labelAngle: 0}},
          y: {field: 'gamma', type: 'quantitative', title: 'mean γ'},
          color: {field: 'layer', type: 'nominal', title: null, legend: {orient: 'bottom'}},
        },
      },
      {
        data: {name: 'threshold'},
        mark: {type: 'rule', strokeDash: [4, 4], color: '#888'},
        encoding: {y: {field: 'gamma', type: 'quantitative'}},
      },
    ],
  });
}

/** Probability of each class (rows) after each step (columns). */
export function probabilityChart(container: HTMLElement): LiveChart {
  return new LiveChart(container, {
    width: 220,
    height: 200,
    data: {name: 'table'},
    mark: {type: 'rect', tooltip: true},
    encoding: {
      x: {field: 'step', type: 'ordinal', title: 'after step', axis: {labelAngle: 0}},
      y: {field: 'class', type: 'nominal', title: null, sort: null},
      color: {field: 'probability', type: 'quantitative', scale: {domain: [0, 1], scheme: 'blues'}},
    },
  });
}
