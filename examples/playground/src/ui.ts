/** Small DOM helpers: typed element lookup, validated number inputs, status line, buttons. */

export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found == null) throw new Error(`the page has no element #${id}`);
  return found as T;
}

/** The integer (or number) in input #id, checked against its min and max; the error names the field. */
export function numberField(id: string, {integer = true} = {}): number {
  const input = element<HTMLInputElement>(id);
  const label = input.closest('label')?.firstChild?.textContent?.trim() ?? id;
  const value = Number(input.value);
  const min = input.min === '' ? -Infinity : Number(input.min);
  const max = input.max === '' ? Infinity : Number(input.max);
  if (
    input.value.trim() === '' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    const kind = integer ? 'an integer' : 'a number';
    throw new Error(`'${label}' must be ${kind} from ${min} to ${max}; got '${input.value}'`);
  }
  return value;
}

export function setText(id: string, text: string): void {
  element(id).textContent = text;
}

export function setStatus(text: string, isError = false): void {
  const status = element('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

export function showError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  setStatus(`Error: ${message}`, true);
}

export function enable(ids: string[], enabled: boolean): void {
  for (const id of ids) element<HTMLButtonElement>(id).disabled = !enabled;
}

export function onClick(id: string, action: () => Promise<void> | void): void {
  element(id).addEventListener('click', () => {
    Promise.resolve().then(action).catch(showError);
  });
}

/** Lets the browser paint and handle input between chunks of work. */
export function nextFrame(): Promise<void> {
  return tf.nextFrame();
}

export function percent(fraction: number, digits = 1): string {
  return `${(100 * fraction).toFixed(digits)} %`;
}
