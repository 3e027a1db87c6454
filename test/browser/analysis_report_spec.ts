// analysis.html written in Node by `tfjs-snn analyze` (test/tools/save_model_for_browser.ts), rendered in Chromium.
const REPORT = '/base/build/browser/node-models/analysis-run/analysis/analysis.html';

/**
 * Loads the page into an iframe with an error recorder that runs before anything of the page: uncaught
 * exceptions, rejected promises and resources that fail to load (error events captured on the window).
 * Resolves once it has loaded, with the errors it raised.
 */
async function loadInFrame(url: string): Promise<{frame: HTMLIFrameElement; errors: string[]}> {
  const html = await (await fetch(url)).text();
  const recorder =
    '<script>window.loadErrors = [];' +
    'addEventListener("error", e => loadErrors.push(e.message || "failed to load " + (e.target.src || e.target.href' +
    ' || e.target.tagName)), true);' +
    'addEventListener("unhandledrejection", e => loadErrors.push("unhandled rejection: " + e.reason));</script>';
  const head = /<head[^>]*>/i;
  if (!head.test(html)) throw new Error(`${url} has no <head>`);
  const page = html.replace(head, tag => `${tag}<base href="${new URL(url, location.href).href}">${recorder}`);
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.style.width = '1000px';
    frame.style.height = '2000px';
    frame.onload = () => {
      const errors = (frame.contentWindow as unknown as {loadErrors?: string[]}).loadErrors;
      if (errors == null) reject(new Error(`the error recorder did not run in ${url}`));
      else resolve({frame, errors});
    };
    frame.srcdoc = page;
    document.body.appendChild(frame);
  });
}

describe('tfjs-snn analyze report (analysis.html) in Chromium', () => {
  it('loads without errors and shows its three charts and tables', async () => {
    const response = await fetch(REPORT);
    expect(response.ok).withContext(`${REPORT}: run npm run test:browser`).toBeTrue();
    const {frame, errors} = await loadInFrame(REPORT);
    const doc = frame.contentDocument!;
    expect(doc.title).toContain('tfjs-snn analysis');
    for (const id of ['gamma-chart', 'rates-chart', 'accuracy-chart']) {
      const svg = doc.querySelector(`#${id} svg`) as SVGSVGElement | null;
      expect(svg).withContext(id).not.toBeNull();
      const box = svg!.getBoundingClientRect();
      expect(box.width).withContext(id).toBeGreaterThan(200);
      expect(box.height).withContext(id).toBeGreaterThan(100);
      expect(svg!.querySelectorAll('path, line, rect').length).withContext(id).toBeGreaterThan(5);
    }
    // Learnt neuron parameters, firing rates, the gamma sweep, the confidence exits, the energy estimate.
    expect(doc.querySelectorAll('table').length).toBe(5);
    expect(doc.querySelector('#neuron-parameters table')?.textContent).toContain('none learnt');
    expect(errors).toEqual([]);
    frame.remove();
  });
});
