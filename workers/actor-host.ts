// Entry point of an actor thread: the host program is src/host/thread-main.ts.
import { startThreadHost } from '../src/host/thread-main.js';

startThreadHost();
