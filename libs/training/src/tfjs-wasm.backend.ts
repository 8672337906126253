import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<void> | null = null;

/**
 * Selects tfjs's WebAssembly backend once per process. The .wasm binaries ship in the package's
 * dist/ folder; pointing the backend at that folder with platform fetch off makes Emscripten read
 * them from disk (Node's fetch cannot load file paths).
 */
export function initTfjsWasm(): Promise<void> {
  ready ??= (async () => {
    // CommonJS builds have `require`; the test runner's ES modules resolve from the working directory.
    const resolver =
      typeof require === 'function' ? require : createRequire(join(process.cwd(), 'package.json'));
    const dist = dirname(resolver.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(`${dist}/`, false);
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not initialise');
    await tf.ready();
  })();
  return ready;
}

export { tf };
