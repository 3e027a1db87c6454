// The page loads the published UMD bundles with <script> tags; these are their globals
// (tf, snn, vega, vegaLite), usable as values and as namespaces of types.
import * as tfModule from '@tensorflow/tfjs';
import * as vegaModule from 'vega';
import * as vegaLiteModule from 'vega-lite';

import * as snnModule from '../../../dist/types/src/index';

declare global {
  export import tf = tfModule;
  export import snn = snnModule;
  export import vega = vegaModule;
  export import vegaLite = vegaLiteModule;
}
