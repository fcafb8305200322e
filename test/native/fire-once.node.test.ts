/** test/e2e/fire-once.test.ts with the Node spawner forced (the default once dist/native/mxx-spawn is built is the helper). */
import './_node.js';
import '../e2e/fire-once.test.js';
