/**
 * Registers tfjs's gradient functions and chained tensor methods (some
 * gradients call `x.reshape(...)`). tfjs-core's own entry point does neither
 * (the full @tensorflow/tfjs bundle does, at twice a thread's start time and
 * memory), and its sources use import paths Node cannot load, so `npm run gen`
 * bundles tfjs-core's register_all_gradients and register_all_chained_ops with
 * esbuild into tfjs-gradients.generated.js (about 300 KB: +6 ms and +2 MB per
 * thread). Both land in tfjs's global registries, shared by every copy of tfjs-core.
 */
import './tfjs-gradients.generated.js';
