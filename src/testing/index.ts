export { assertNoLeaks, collectGarbage, EventLedger, findLeaks, LeakError, type Leak, type LeakCheckOptions } from './leaks.js';
