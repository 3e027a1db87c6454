/** Views a `[batch, time, ...features]` shape as `[batch, time, features]`. */
export interface LifDims {
  batch: number;
  time: number;
  features: number;
}

export function lifDims(shape: readonly number[]): LifDims {
  const [batch, time, ...rest] = shape;
  const features = rest.reduce((a, b) => a * b, 1);
  return {batch, time, features};
}
