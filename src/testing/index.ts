export { assertNoLeaks, collectGarbage, EventLedger, findLeaks, LeakError, type Leak } from './leaks.js';
