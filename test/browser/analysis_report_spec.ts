// analysis.html written in Node by `tfjs-snn analyze` (test/tools/save_model_for_browser.ts), rendered in Chromium.
const REPORT = '/base/build/browser/node-models/analysis-run/analysis/analysis.html';

/** Loads the page into an iframe; resolves once it has loaded, with the errors it raised. */
function loadInFrame(url: string): Promise<{frame: HTMLIFrameElement, errors: string[]}> {
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.style.width = '1000px';
    frame.style.height = '2000px';
    const errors: string[] = [];
    frame.onload = () => {
      const win = frame.contentWindow as Window & typeof globalThis;
      win.addEventListener('error', e => errors.push(e.message));
      resolve({frame, errors});
    };
    frame.onerror = () => reject(new Error(`${url} did not load`));
    frame.src = url;
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
      const svg = doc.querySelector(`#${id} svg`) as SVGSVGElement|null;
      expect(svg).withContext(id).not.toBeNull();
      const box = svg!.getBoundingClientRect();
      expect(box.width).withContext(id).toBeGreaterThan(200);
      expect(box.height).withContext(id).toBeGreaterThan(100);
      expect(svg!.querySelectorAll('path, line, rect').length).withContext(id).toBeGreaterThan(5);
    }
    expect(doc.querySelectorAll('table').length).toBe(4);
    expect(errors).toEqual([]);
    frame.remove();
  });
});
