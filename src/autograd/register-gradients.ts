/**
 * Registers tfjs's gradient functions. tfjs-core's own entry point does not
 * (the full @tensorflow/tfjs bundle does, at twice a thread's start time and
 * memory), and its gradient sources use import paths Node cannot load, so
 * `npm run gen` bundles tfjs-core's register_all_gradients with esbuild into
 * tfjs-gradients.generated.js (289 KB: +6 ms and +2 MB per thread). The
 * gradients land in tfjs's global registry, shared by every copy of tfjs-core.
 */
import './tfjs-gradients.generated.js';
