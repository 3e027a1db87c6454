/** The backend: webgl when the browser can run it, otherwise cpu with a visible notice. */

export interface BackendChoice {
  name: string;
  /** Shown to the user when the page is not on webgl. */
  notice: string | null;
  /** e.g. "webgl · WebGL 2 · float32 textures". */
  description: string;
}

/** The backends the page runs on, the default first. */
export const PAGE_BACKENDS = ['webgl', 'cpu'] as const;

/** `?backend=cpu` (or `webgl`) in the page's URL asks for one; the default is webgl. */
export async function chooseBackend(requested: string | null): Promise<BackendChoice> {
  if (requested != null && !(PAGE_BACKENDS as readonly string[]).includes(requested)) {
    throw new Error(
      `the URL parameter 'backend' must be ${PAGE_BACKENDS.map(b => `'${b}'`).join(' or ')}; got '${requested}'`
    );
  }
  if (requested !== 'cpu' && (await tryWebGL())) {
    return {name: 'webgl', notice: null, description: describeWebGL()};
  }
  await tf.setBackend('cpu');
  const notice =
    requested === 'cpu'
      ? 'Running on the cpu backend, as the URL asked (?backend=cpu).'
      : 'WebGL is not available in this browser, so the page runs on the cpu backend: everything works, ' +
        'but training is much slower. Try a browser with WebGL 2 (hardware acceleration on).';
  return {name: 'cpu', notice, description: 'cpu (JavaScript)'};
}

async function tryWebGL(): Promise<boolean> {
  try {
    return await tf.setBackend('webgl');
  } catch {
    return false;
  }
}

function describeWebGL(): string {
  const version = tf.env().getNumber('WEBGL_VERSION');
  const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 'float32 textures' : 'float16 textures';
  return `webgl · WebGL ${version} · ${float32}`;
}
