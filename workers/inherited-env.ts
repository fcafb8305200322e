/**
 * The environment a run starts from: the server's, without the variables that carry the server's
 * own secrets. A job that prints its environment must not put the store's password or the API
 * token into its log; a job that needs one names it in its own `env`, which is added on top.
 */
export const SERVER_SECRET_VARIABLES: readonly string[] = ['MXX_STORE', 'MXX_API_TOKEN'];

export function inheritedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...env };
  for (const name of SERVER_SECRET_VARIABLES) delete copy[name];
  return copy;
}
