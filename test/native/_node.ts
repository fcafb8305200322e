/**
 * Imported first by the files that re-run engine suites on the Node spawner: once the helper is
 * built, pools choose it by default, so the Node path is forced here (MXX_SPAWNER=node) to stay tested.
 */
process.env.MXX_SPAWNER = 'node';
